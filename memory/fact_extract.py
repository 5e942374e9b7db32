"""Facts from what the user says: English and Chinese rules, or a capable model asked for JSON.

Both give :class:`Triple` objects in the vocabulary of ``memory.fact_vocab``: subject "user" for
the user, relations such as lives_in, works_at, likes, favourite_color, has_sister, and
``not_<relation>`` when the user says something no longer holds.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from graph.cjk import has_cjk
from graph.errors import ConfigError
from graph.store import normalise_name
from memory.fact_rules import Context, Person, sentences
from memory.fact_rules_en import read_sentence_en
from memory.fact_rules_zh import read_sentence_zh
from memory.fact_vocab import SINGLE_VALUED, USER, normalise_relation
from memory.facts import Triple
from memory.types import CompletionOptions, MemoryModel, Message

log = logging.getLogger(__name__)

__all__ = ["SINGLE_VALUED", "FactExtractor", "LLMFactExtractor", "RuleFactExtractor", "create_fact_extractor"]


@runtime_checkable
class FactExtractor(Protocol):
    def extract(self, text: str, *, context: Sequence[str] = (),
                people: Sequence[Person] = ()) -> list[Triple]:
        """Facts ``text`` states. ``context``: the conversation's earlier messages (read for
        who "she" and "Lin" are, never for facts); ``people``: relatives known from memory."""
        ...


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")


class RuleFactExtractor:
    """Patterns for what users say about themselves and people close to them, sentence by
    sentence in the sentence's language; "she"/"他" mean the person of that gender mentioned
    last (in this message or ``context``), "my sister" the sister named before."""

    def extract(self, text: str, *, context: Sequence[str] = (),
                people: Sequence[Person] = ()) -> list[Triple]:
        ctx = Context(people=[replace(p, known=True) for p in people])
        for earlier in context:
            self._read(earlier, ctx)
        ctx.found.clear()
        ctx.last_subject = None
        return self._read(text, ctx)

    @staticmethod
    def _read(text: str, ctx: Context) -> list[Triple]:
        out: dict[tuple[str, str, str], Triple] = {}
        read = sentences(_normalise(text))
        said = sentences(text)  # each fact keeps its sentence as the user wrote it ("，" not ",")
        for sentence, as_written in zip(read, said if len(said) == len(read) else read, strict=True):
            start = len(ctx.found)
            (read_sentence_zh if has_cjk(sentence) else read_sentence_en)(sentence, ctx)
            for f in ctx.found[start:]:
                out.setdefault((f.subject, f.relation, f.object),
                               Triple(f.subject, f.relation, f.object, as_written))
        return list(out.values())


SYSTEM_PROMPT = """You list facts a user states about their own life and the people close to them.
Answer with JSON only: {"facts": [{"subject": "...", "relation": "...", "object": "..."}]}
- subject: "user" for the user (I, me, 我); a person's name; or "user's sister" when no name is given.
- relation: lives_in, works_at, works_as, studies_at, name, birthday, born_in, hometown, age, likes,
  dislikes, speaks, allergic_to, favourite_<thing> (favourite_color), has_<relative> (has_sister,
  has_brother, has_mother, has_father, has_wife, has_husband, has_son, has_daughter, has_friend);
  not_<relation> when the user says a fact no longer holds.
- object: the value written exactly as in the message (Chinese stays Chinese).
Only what the message states; nothing from questions or guesses. No facts: {"facts": []}.
Earlier messages and known people, when given, only say who "she", "he" or "my sister" is.
Example: "My sister Lin moved to Hangzhou." -> {"facts": [{"subject": "user", "relation": "has_sister",
"object": "Lin"}, {"subject": "Lin", "relation": "lives_in", "object": "Hangzhou"}]}"""


class LLMFactExtractor:
    """Asks the model for JSON and keeps only well-formed facts whose object (and subject,
    unless it is the user) occurs in the message. Bad output gives ``[]``; errors of the model
    itself (a backend that is down) are raised for the caller to retry."""

    def __init__(self, model: MemoryModel, *, max_tokens: int = 512, max_input_chars: int = 4000) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.max_input_chars = max_input_chars

    def extract(self, text: str, *, context: Sequence[str] = (),
                people: Sequence[Person] = ()) -> list[Triple]:
        text = _normalise(text).strip()[: self.max_input_chars]
        if not text:
            return []
        known = [f"{p.subject}: the user's {p.relation.removeprefix('has_')}" for p in people]
        background = [*(f"Earlier message: {_normalise(m)[:500]}" for m in context[-4:]),
                      *(f"Known person: {k}" for k in known)]
        prompt = "\n".join([*background, f"Message: {text}"]) if background else text
        raw = self.model.complete([Message("system", SYSTEM_PROMPT), Message("user", prompt)],
                                  CompletionOptions(max_tokens=self.max_tokens, temperature=0.0))
        try:
            return parse_facts(raw, text, names=" ".join([*context, *(p.subject for p in people)]))
        except (ValueError, TypeError, AttributeError) as exc:  # defensive: never fail a turn on output
            log.warning("Ignoring the model's fact extraction (%s): %.200r", exc, raw)
            return []


def create_fact_extractor(kind: str, model: MemoryModel | None = None) -> FactExtractor:
    """The extractor settings name (``memory.extractor``): "rules" or "llm" (needs ``model``)."""
    if kind == "rules":
        return RuleFactExtractor()
    if kind == "llm":
        if model is None:
            raise ConfigError("The llm fact extractor needs a model; pass one, or set "
                              "CONGMING_MEMORY__EXTRACTOR=rules.")
        return LLMFactExtractor(model)
    raise ConfigError(f"Unknown fact extractor {kind!r}; set CONGMING_MEMORY__EXTRACTOR to rules or llm.")


def parse_facts(raw: str, text: str, *, names: str = "") -> list[Triple]:
    """The grounded, well-formed facts in a model's answer (JSON, fenced or with chatter):
    objects must occur in ``text``, subjects in it or in ``names`` (who "she" may be)."""
    data = _json_value(raw)
    items = data.get("facts") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    said = normalise_name(text)
    named = said + " " + normalise_name(names)
    out: dict[tuple[str, str, str], Triple] = {}
    for item in items:
        triple = _triple(item, said, named, text)
        if triple is not None:
            out.setdefault((triple.subject, triple.relation, triple.object), triple)
    return list(out.values())


def _json_value(raw: Any) -> Any:
    if not isinstance(raw, str):
        return None
    body = raw.strip()
    if fenced := re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL):
        body = fenced.group(1).strip()
    spans = [body]
    for left, right in ("{}", "[]"):
        if (start := body.find(left)) >= 0 and (end := body.rfind(right)) > start:
            spans.append(body[start:end + 1])
    for candidate in spans:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _triple(item: Any, said: str, named: str, text: str) -> Triple | None:
    if not isinstance(item, dict):
        return None
    parts = [item.get(k) for k in ("subject", "relation", "object")]
    if not all(isinstance(p, str) and p.strip() for p in parts):
        return None
    subject, relation, object_ = (" ".join(p.split()) for p in parts)
    relation = normalise_relation(relation)
    if relation is None or len(relation) > 60:
        return None
    if subject.casefold() in ("user", "i", "me", "我", "用户"):
        subject = USER
    elif not subject.startswith(("user's ", "用户的")) and normalise_name(subject) not in named:
        return None  # a person the message does not name
    if normalise_name(object_) not in said:
        return None  # not grounded in the message
    return Triple(subject, relation, object_, _sentence_with(text, object_))


def _sentence_with(text: str, value: str) -> str:
    key = normalise_name(value)
    return next((s for s in sentences(text) if key in normalise_name(s)), text[:300])
