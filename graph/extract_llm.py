"""Schema-guided (subject, relation, object) extraction with a language model.

The model is asked for JSON matching :func:`extraction_schema` (backends that support it, such
as llama.cpp, constrain decoding to the schema). Its answer is parsed and checked again:
items that break the schema, name no entity of the answer, or - by default - name something
that is not in the text are dropped with a reason; output that is not JSON of the right shape
raises :class:`ExtractionError` with the raw text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from typing import Any, Protocol, runtime_checkable

from graph.chunking import split_sentences
from graph.errors import InputError, require
from graph.extract import ExtractedEntity, ExtractedRelation, Extraction, ExtractionError
from graph.types import ENTITY_TYPES

MAX_NAME_CHARS = 100
MAX_RELATION_CHARS = 60

_TYPE_SYNONYMS = {"organisation": "organization", "org": "organization", "company": "organization",
                  "location": "place", "city": "place", "country": "place", "gpe": "place",
                  "people": "person", "human": "person", "thing": "other", "misc": "other",
                  "device": "product", "software": "product", "brand": "product"}

_EXAMPLE = {
    "entities": [{"name": "Marie Curie", "type": "person"},
                 {"name": "University of Paris", "type": "organization"},
                 {"name": "Warsaw", "type": "place"}],
    "relations": [{"subject": "Marie Curie", "relation": "works_at", "object": "University of Paris"},
                  {"subject": "Marie Curie", "relation": "born_in", "object": "Warsaw"}],
}
SYSTEM_PROMPT = f"""You extract a knowledge graph from a text. Answer with JSON only:
{{"entities": [{{"name": ..., "type": ...}}],
 "relations": [{{"subject": ..., "relation": ..., "object": ...}}]}}
- entities: the people, places, organizations and key concepts or things the text names.
  "name" is written exactly as in the text; "type" is one of: {", ".join(ENTITY_TYPES)}.
- relations: facts the text states. "subject" and "object" are entity names from your list;
  "relation" is a short verb phrase in snake_case, such as lives_in, works_at, founded.
Use only what the text says; do not guess or add knowledge of your own.

Example text: Marie Curie worked at the University of Paris. She was born in Warsaw.
Example answer: {json.dumps(_EXAMPLE)}"""


@runtime_checkable
class JsonLLM(Protocol):
    """What the extractor needs from a model: one completion constrained to a JSON schema
    where the backend can do that. agent/llm/structured.py adapts any agent LLM to this."""

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> str: ...


def _string(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


ENTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": _string(MAX_NAME_CHARS), "type": {"enum": list(ENTITY_TYPES)}},
    "required": ["name", "type"],
    "additionalProperties": False,
}
RELATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subject": _string(MAX_NAME_CHARS),
        "relation": _string(MAX_RELATION_CHARS),
        "object": _string(MAX_NAME_CHARS),
    },
    "required": ["subject", "relation", "object"],
    "additionalProperties": False,
}


def extraction_schema(max_entities: int = 30, max_relations: int = 30) -> dict[str, Any]:
    """The JSON schema the model is held to (no $refs, so grammar converters handle it)."""
    return {
        "type": "object",
        "properties": {
            "entities": {"type": "array", "items": ENTITY_SCHEMA, "maxItems": max_entities},
            "relations": {"type": "array", "items": RELATION_SCHEMA, "maxItems": max_relations},
        },
        "required": ["entities", "relations"],
        "additionalProperties": False,
    }


_SHAPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"entities": {"type": "array", "items": {"type": "object"}},
                   "relations": {"type": "array", "items": {"type": "object"}}},
    "required": ["entities", "relations"],
}


class LLMExtractor:
    """``require_grounding``: drop entities whose name does not occur in the text."""

    name = "llm"

    def __init__(self, llm: JsonLLM, *, require_grounding: bool = True,
                 max_input_chars: int = 6000, max_entities: int = 30,
                 max_relations: int = 30) -> None:
        self.llm = llm
        self.require_grounding = require_grounding
        self.max_input_chars = max_input_chars
        self.schema = extraction_schema(max_entities, max_relations)

    def extract(self, text: str) -> Extraction:
        if not text.strip():
            return Extraction()
        if len(text) > self.max_input_chars:
            raise InputError(f"The text is {len(text)} characters; the llm extractor takes at "
                             f"most {self.max_input_chars}. Chunk it first (graph.chunking).")
        raw = self.llm.complete_json(SYSTEM_PROMPT, f"Text:\n{text}", self.schema)
        return validate_extraction(raw, text, require_grounding=self.require_grounding)


def parse_json_object(raw: str) -> dict[str, Any]:
    """The JSON object in a model's answer (code fences and chatter around it tolerated)."""
    body = raw.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    for candidate in (body, body[body.find("{"): body.rfind("}") + 1]):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ExtractionError("The model's answer is not a JSON object.", raw)


def validate_extraction(raw: str, text: str, *, require_grounding: bool = True) -> Extraction:
    """Parse and check a model's answer against the schema and the source text."""
    jsonschema = require("jsonschema", "knowledge", "Checking extracted knowledge")
    data = parse_json_object(raw)
    shape_errors = list(jsonschema.Draft202012Validator(_SHAPE_SCHEMA).iter_errors(data))
    if shape_errors:
        raise ExtractionError(f"The model's JSON has the wrong shape: {shape_errors[0].message}.",
                              raw)
    dropped: list[str] = []
    entities = _entities(data["entities"], text, require_grounding, dropped, jsonschema)
    relations = _relations(data["relations"], entities, text, dropped, jsonschema)
    return Extraction(tuple(entities.values()), relations, tuple(dropped))


def _entities(items: list[dict[str, Any]], text: str, grounded: bool, dropped: list[str],
              jsonschema: Any) -> dict[str, ExtractedEntity]:
    validator = jsonschema.Draft202012Validator(ENTITY_SCHEMA)
    found: dict[str, ExtractedEntity] = {}
    for item in items:  # keys other than the schema's are ignored, not held against the item
        item = {"name": _clean(item.get("name")), "type": _entity_type(item.get("type"))}
        error = next(iter(validator.iter_errors(item)), None)
        if error is not None:
            dropped.append(f"entity {_short(item['name'])}: {_cut(error.message, 80)}")
            continue
        mentions = _find_mentions(item["name"], text)
        if grounded and not mentions:
            dropped.append(f"entity {item['name']!r}: not in the text")
            continue
        found.setdefault(_key(item["name"]), ExtractedEntity(item["name"], item["type"], mentions))
    return found


def _relations(items: list[dict[str, Any]], entities: dict[str, ExtractedEntity], text: str,
               dropped: list[str], jsonschema: Any) -> tuple[ExtractedRelation, ...]:
    validator = jsonschema.Draft202012Validator(RELATION_SCHEMA)
    counts: Counter[tuple[str, str, str]] = Counter()
    for item in items:
        item = {"subject": _clean(item.get("subject")), "object": _clean(item.get("object")),
                "relation": snake_case(item.get("relation"))}
        error = next(iter(validator.iter_errors(item)), None)
        if error is not None:
            dropped.append(f"relation {_short(item['relation'])}: {_cut(error.message, 80)}")
            continue
        subject, object_ = entities.get(_key(item["subject"])), entities.get(_key(item["object"]))
        if subject is None or object_ is None:
            missing = item["subject"] if subject is None else item["object"]
            dropped.append(f"relation {item['relation']!r}: {missing!r} is not a listed entity")
        elif subject.name == object_.name:
            dropped.append(f"relation {item['relation']!r}: links {subject.name!r} to itself")
        else:
            counts[(subject.name, item["relation"], object_.name)] += 1
    sentences = split_sentences(text)
    return tuple(
        ExtractedRelation(s, r, o, float(n), _evidence(text, sentences, s, o))
        for (s, r, o), n in counts.items()
    )


def _short(value: Any, limit: int = 40) -> str:
    return repr(_cut(value if isinstance(value, str) else repr(value), limit))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _clean(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _entity_type(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.strip().lower()
    return _TYPE_SYNONYMS.get(value, value)


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def snake_case(value: Any) -> Any:
    """"Works At" / "works-at" / "worksAt" -> "works_at"; CJK letters are kept as they are."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFKC", value).strip()
    value = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).lower()
    return re.sub(r"[\W_]+", "_", value).strip("_")


def _find_mentions(name: str, text: str) -> tuple[tuple[int, int], ...]:
    pattern = r"\s+".join(re.escape(part) for part in name.split())
    if name[0].isascii() and name[0].isalnum():  # "Lin" is not in "Berlin"; CJK has no spaces
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if name[-1].isascii() and name[-1].isalnum():
        pattern += r"(?![A-Za-z0-9])"
    return tuple((m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE))


def _evidence(text: str, sentences: list[Any], subject: str, object_: str) -> str:
    """The sentence naming both, else the closest pair of sentences naming one each (the
    object's alone when they are far apart): "Lin lives in Hangzhou. She works at Alibaba."."""
    def having(name: str) -> list[int]:
        return [i for i, s in enumerate(sentences) if name.casefold() in s.text.casefold()]

    with_subject, with_object = having(subject), having(object_)
    if not with_object:
        return sentences[with_subject[0]].text if with_subject else ""
    if not with_subject:
        return sentences[with_object[0]].text
    i, j = min(((i, j) for i in with_subject for j in with_object),
               key=lambda pair: (abs(pair[0] - pair[1]), pair[1]))
    if i == j or abs(i - j) > 2:
        return sentences[j].text
    return text[sentences[min(i, j)].start: sentences[max(i, j)].end]
