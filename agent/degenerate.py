"""Tell unusable text written by a small LLM (loops, echoes, a refusal with a claim after it)
from a real answer, so that it is never shown nor stored in memory.

``degenerate`` returns a short reason, or None for text that may be used. Every check looks
at a bounded prefix of the text, so a megabyte of output costs about as much as 20 KB.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from agent.claims import Span, language_of, split_sentences, strip_citations

MAX_CHARS = 20_000  # only this much of the text is examined
_MAX_SPLIT_CHARS = 6_000  # and this much split into sentences
_MAX_TOKENS = 4_000
_WORD_NGRAM, _CHAR_NGRAM, _NGRAM_REPEATS = 4, 6, 3
# Quoted evidence may list items with a short phrase in common ("22人龙舟8支队伍、12人龙舟8支队伍"):
# there only longer runs make a loop.
_QUOTED_WORD_NGRAM, _QUOTED_CHAR_NGRAM = 8, 12
_VARIETY_WINDOW, _VARIETY_MIN_TOKENS, _MIN_VARIETY = 300, 60, 0.25
_ECHO_WORDS, _ECHO_CHARS = 12, 16  # a verbatim run of the prompt this long is an echo

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Latin words (with an inner apostrophe: "don't", "Halvard's"), numbers, single CJK characters.
_TOKEN = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+(?:['’][^\W\d_]+)*|\d+")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]|\(?\d{1,3}[.)、]|[a-z][.)])\s+", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:question|answer|final answer|问题|答案|回答)\s*[:：]\s*", re.IGNORECASE)
_NAME_LINKS = frozenset(["of", "the", "for", "and", "in", "on", "at", "by", "with", "from", "as", "a", "an",
                         "to", "de", "von", "van", "&"])
_EVIDENCE_LINE = re.compile(r"^\s*\[\d+\]")
_REFUSAL = re.compile(
    r"^\s*(?:(?:sorry|i'm sorry|i am sorry)[,.!]?\s*)?"
    r"(?:i\s+(?:don['’]?t|do\s+not)\s+know|i(?:['’]m|\s+am)\s+not\s+sure|i\s+(?:can['’]?t|cannot|can\s+not)\s+"
    r"(?:answer|tell|say)|i\s+(?:don['’]?t|do\s+not)\s+have\s+(?:enough\s+)?information|"
    r"(?:抱歉[，,]?\s*)?(?:我不知道|不知道|我不清楚|不清楚|我无法回答|无法回答|我没法回答))",
    re.IGNORECASE)
_BUT = re.compile(r"^\s*[,，:：;；-]?\s*(?:but|however|though|the answer is|但是?|不过|可是|答案是)",
                  re.IGNORECASE)
# What may follow a refusal: why there is no answer ("what I have does not support an answer").
_ABSENCE = re.compile(r"\b(?:not|no|nothing|none|never|cannot|unable)\b|n['’]t\b|[不没无未]", re.IGNORECASE)


def degenerate(text: str, *, question: str = "", prompt: str = "", quoted: bool = False) -> str | None:
    """Why ``text`` (written by an LLM) must not be used, or None when it may be.

    ``question`` is the user's message; ``prompt`` is the instruction text the model was
    given (system prompt, answer format, worked example). Evidence lines in ``prompt``
    (those starting with ``[n]``) are ignored: quoting the evidence is allowed. ``quoted``:
    the text is a short answer and an evidence sentence quoted word for word (the reader's).
    """
    head = text[:MAX_CHARS]
    clean = strip_citations(head)
    if not re.search(r"[^\W_]", clean):
        return "empty"
    sentences = split_sentences(clean[:_MAX_SPLIT_CHARS])
    sizes = (_QUOTED_WORD_NGRAM, _QUOTED_CHAR_NGRAM) if quoted else (_WORD_NGRAM, _CHAR_NGRAM)
    return (_repeated_sentence([span.text for span in sentences]) or _repeated_ngram(clean, *sizes)
            or _low_variety(clean) or _echoes_question(clean, question)
            or _echoes_prompt(clean, prompt, question) or _refusal_with_text(clean, sentences))


def tokens(text: str, *, lower: bool = True) -> list[str]:
    """Words, numbers and single CJK characters of ``text`` (lower-cased), at most a few thousand."""
    found = (match.group() for match, _ in zip(_TOKEN.finditer(text), range(_MAX_TOKENS), strict=False))
    return [token.lower() for token in found] if lower else list(found)


def _sentence_key(sentence: str) -> str:
    """A sentence without list marker, label, case, spacing or punctuation."""
    body = _LABEL.sub("", _LIST_MARKER.sub("", sentence))
    return "".join(tokens(body))


def _repeated_sentence(sentences: list[str]) -> str | None:
    seen: set[str] = set()
    for sentence in sentences:
        key = _sentence_key(sentence)
        if len(key) + len(_CJK_CHAR.findall(key)) < 6:  # "OK." twice is no loop
            continue
        if key in seen:
            return "repeated sentence"
        seen.add(key)
    return None


def _ngrams(items: list[str], size: int) -> Iterator[tuple[str, ...]]:
    return zip(*(items[start:] for start in range(size)), strict=False)


def _is_name(gram: tuple[str, ...]) -> bool:
    """"Academy Award for Best": a title or a name may recur in a long answer."""
    content = [word for word in gram if word.lower() not in _NAME_LINKS]
    return bool(content) and all(word[:1].isupper() and word != "I" for word in content)


def _loops(grams: Iterable[tuple[str, ...]]) -> bool:
    """Some n-gram that is not a name occurs at least three times."""
    counts: Counter[tuple[str, ...]] = Counter()
    first: dict[tuple[str, ...], tuple[str, ...]] = {}
    for gram in grams:
        key = tuple(word.lower() for word in gram)
        counts[key] += 1
        first.setdefault(key, gram)
        if counts[key] == _NGRAM_REPEATS and not _is_name(first[key]):
            return True
    return False


def _repeated_ngram(clean: str, word_ngram: int, char_ngram: int) -> str | None:
    words = tokens(clean, lower=False)
    latin = [word for word in words if not _CJK_CHAR.match(word)]
    if _loops(_ngrams(latin, word_ngram)):
        return "repeated n-gram"
    if language_of(clean) == "zh":  # CJK runs (dates like 3月31日 may recur)
        cjk_rich = (gram for gram in _ngrams(words, char_ngram)
                    if sum(1 for char in gram if _CJK_CHAR.match(char)) >= char_ngram - 1)
        if _loops(cjk_rich):
            return "repeated n-gram"
    return None


def _low_variety(clean: str) -> str | None:
    window = tokens(clean)[:_VARIETY_WINDOW]
    if len(window) >= _VARIETY_MIN_TOKENS and len(set(window)) / len(window) < _MIN_VARIETY:
        return "low variety"
    return None


def _echoes_question(clean: str, question: str) -> str | None:
    answer_key, question_key = _sentence_key(clean), _sentence_key(strip_citations(question[:MAX_CHARS]))
    if len(answer_key) < 6 or not question_key:
        return None
    if answer_key == question_key or (answer_key in question_key
                                      and len(answer_key) >= 0.6 * len(question_key)):
        return "echoes the question"
    return None


def _instruction_text(prompt: str) -> str:
    """The prompt without its evidence lines (``[1] ...``), which an answer may quote."""
    return "\n".join(line for line in prompt[:MAX_CHARS].splitlines() if not _EVIDENCE_LINE.match(line))


def _echoes_prompt(clean: str, prompt: str, question: str) -> str | None:
    if not prompt:
        return None
    size = _ECHO_CHARS if language_of(clean) == "zh" else _ECHO_WORDS
    answer = tokens(clean)
    if len(answer) < size:
        return None
    allowed = set(_ngrams(tokens(question), size))
    instructions = set(_ngrams(tokens(_instruction_text(prompt)), size)) - allowed
    if any(gram in instructions for gram in _ngrams(answer, size)):
        return "echoes the prompt"
    return None


def _refusal_with_text(clean: str, sentences: list[Span]) -> str | None:
    """"I don't know. The answer is Paris.": a refusal followed by a claim. An explanation of
    the refusal ("I don't know: nothing in the evidence says") is fine."""
    refusal = _REFUSAL.match(clean)
    if not refusal:
        return None
    tail = clean[refusal.end():sentences[0].end] if sentences else ""
    turn = _BUT.match(tail)  # "I'm not sure, but it is Paris."
    appended = [tail[turn.end():]] if turn else []
    appended += [span.text for span in sentences[1:]]
    if any(_is_claim(piece) for piece in appended):
        return "refusal with text appended"
    return None


def _is_claim(piece: str) -> bool:
    """Text that states something: not a question back, not an explanation of the refusal."""
    piece = piece.strip()
    if not re.search(r"[^\W_]", piece) or piece.endswith(("?", "？")):
        return False
    return not _ABSENCE.search(piece)
