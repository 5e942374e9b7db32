"""The checkable parts of a sentence: content words and named entities, English and Chinese.

English words are lower-cased and lightly stemmed ("starred" and "starring" meet at
"star"); Chinese text is cut with jieba and a Chinese word counts as found when it occurs
anywhere in the evidence, so differences in segmentation do not matter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from graph.cjk import CJK_CHAR, has_cjk, jieba_pos_tokenizer


def _words(text: str) -> list[str]:
    return text.split()


# Function words plus the small talk of chat replies ("I really like it"), which are not claims.
EN_STOPWORDS = frozenset(_words("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either else ever every few for from further had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd
i'll i'm i've if in into is isn't it it's its itself just let's me might more most much must
mustn't my myself neither no nor not now of off on once one only or other ought our ours
ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than
that that's the their theirs them themselves then there there's these they they'd they'll
they're they've this those though through to too under until up upon us very was wasn't we we'd
we'll we're we've were weren't what what's when when's where where's whether which while who
who's whom whose why why's will with won't would wouldn't yet you you'd you'll you're you've your
yours yourself yourselves yes yeah yep nope ok okay oh ah hey hi hello well sure really
actually definitely absolutely certainly probably maybe perhaps quite pretty rather indeed
like likes liked love loved loves enjoy enjoyed enjoys think thought know knew known heard
hear see seen saw seem seems get got go going gone went make made say said tell told let
thing things lot lots kind sort way good great nice cool awesome amazing fun interesting
favorite favourite favorites favourites best better big new old many another something
anything everything nothing someone anyone everyone also still even again already always
never sometimes often usually especially particularly recently currently thanks thank
please sorry want wanted would've could've should've did don't didn't doesn't isn't
"""))

ZH_STOPWORDS = frozenset(_words("""
的 了 是 在 和 与 及 或 也 都 就 而 但 并 被 把 对 从 向 为 以 于 之 其 这 那 这个 那个 这些 那些
一个 一些 有 没有 我 你 他 她 它 我们 你们 他们 她们 自己 什么 哪些 哪个 哪里 哪 谁 多少 几 怎么
怎样 如何 为什么 吗 呢 吧 啊 呀 哦 嗯 可以 能 会 要 将 已 已经 还 又 很 非常 更 最 不 没 所以 因为
如果 虽然 但是 然后 以及 等 等等 上 下 中 里 时 时候 之后 之前 目前 当前 根据 关于 通过 进行 表示
认为 知道 觉得 喜欢 答案 问题 是否 请问 一下 这样 那样 所 其中 此外 同时 以上 以下
"""))

_EN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_SUFFIXES = ("ational", "ization", "ations", "ation", "ments", "ment", "ness", "ings", "ing",
             "edly", "ies", "ied", "ers", "er", "ed", "es", "ly", "s")
_CONNECTORS = frozenset({"of", "the", "de", "la", "le", "van", "von", "der", "del", "da", "and",
                         "&", "for", "du", "di", "y"})
_TITLE_WORD = re.compile(r"[A-Z][\w'’.&-]*|[A-Z0-9]{2,}")
_ZH_ENTITY_FLAGS = ("nr", "ns", "nt", "nz", "eng", "nrt", "nrfg")
_ZH_NUMBER_WORD = re.compile(r"[\d零〇○一二两三四五六七八九十百千万亿.%]+")
_ZH_TITLE = re.compile(r"《([^》]{1,40})》|“([^”]{2,30})”")


def stem(word: str) -> str:
    """A light suffix stripper: enough to match "starred"/"stars"/"starring" to "star"."""
    word = word.lower().replace("’", "'")
    word = re.sub(r"'s$|s'$", "", word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # starr -> star
    return word.rstrip("e") if len(word) > 3 else word


def en_words(text: str) -> list[str]:
    return _EN_WORD.findall(text)


def en_content_stems(text: str) -> list[str]:
    """Stems of the English content words, in order (numbers left to the number check)."""
    return [stem(w) for w in en_words(text)
            if w.lower().replace("’", "'") not in EN_STOPWORDS and not w.isdigit() and len(w) > 1]


def en_entities(text: str) -> list[str]:
    """Capitalised spans ("Jake Gyllenhaal", "Grammy Award for Album of the Year", "RDJ").

    A capitalised first word of a sentence is kept only when the span goes on after it,
    so "Absolutely, ..." is not an entity while "Tom Hanks starred" is.
    """
    spans: list[str] = []
    tokens = list(re.finditer(r"[\w'’&-]+\.?|[^\w\s]", text))
    current: list[tuple[str, int]] = []

    def flush() -> None:
        while current and current[-1][0].lower() in _CONNECTORS:
            current.pop()
        if current:
            words = [w for w, _ in current]
            starts_sentence = current[0][1] == 0 or re.search(r"[.!?:\"“]\s*$", text[:current[0][1]])
            if starts_sentence and len(words) == 1:
                pass
            else:
                first = words[0].lower()
                if starts_sentence and first in EN_STOPWORDS:
                    words = words[1:]
                if words and not (len(words) == 1 and words[0].lower() in EN_STOPWORDS):
                    spans.append(" ".join(words).rstrip(".'’"))
        current.clear()

    for token in tokens:
        word = token.group()
        ends_sentence = word.endswith(".") and len(word) > 4
        word = word[:-1] if ends_sentence else word
        if _TITLE_WORD.fullmatch(word) and word.lower() != "i":
            current.append((word, token.start()))
            if ends_sentence:
                flush()
        elif current and word.lower() in _CONNECTORS:
            current.append((word, token.start()))
        else:
            flush()
    flush()
    return [s for s in spans if s]


def zh_words(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs from jieba."""
    return [(pair.word, pair.flag) for pair in jieba_pos_tokenizer().cut(text)]


@lru_cache(maxsize=4096)
def _zh_words_cached(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(zh_words(text))


def zh_content_words(text: str) -> list[str]:
    """Chinese content words (two or more characters, or a single character that is a noun
    or verb jieba kept apart), plus the English words inside Chinese text."""
    words = []
    for word, flag in _zh_words_cached(text):
        word = word.strip()
        if not word or word in ZH_STOPWORDS or flag in ("m", "mq", "q") or _ZH_NUMBER_WORD.fullmatch(word):
            continue
        if CJK_CHAR.search(word):
            if len(word) >= 2 or (flag.startswith(("n", "v")) and flag != "v"):
                words.append(word)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9.-]*", word) and word.lower() not in EN_STOPWORDS:
            words.append(word.lower())
    return words


def zh_entities(text: str) -> list[str]:
    """Names jieba tags as people, places, organisations or other proper nouns, Latin-script
    names, and titles in 《》."""
    names = [word for word, flag in _zh_words_cached(text)
             if flag in _ZH_ENTITY_FLAGS and (len(word) >= 2 or not has_cjk(word))
             and word.lower() not in EN_STOPWORDS]
    names += [m.group(1) or m.group(2) for m in _ZH_TITLE.finditer(text)]
    return names


def acronym(name: str) -> str:
    """Initials of a multi-word name: "Robert Downey Jr." -> "RDJ"."""
    words = [w for w in name.split() if w.lower() not in _CONNECTORS]
    return "".join(w[0] for w in words).upper() if len(words) >= 2 else ""
