"""Small shared types of the knowledge layer. Every stored thing belongs to one user."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ENTITY_TYPES = ("person", "place", "organization", "product", "date", "concept", "other")


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id from its parts: the same thing always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"{prefix}-{digest}"


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    user_id: str
    source: str  # path or URI it was read from
    content_hash: str
    title: str = ""
    collection: str = "default"
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str
    document_id: str
    user_id: str
    ordinal: int  # position within the document
    text: str
    collection: str = "default"
    start: int = 0  # character offsets in the document text
    end: int = 0


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    user_id: str
    name: str
    type: str = "other"  # one of ENTITY_TYPES
    aliases: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict, hash=False)
    provenance: tuple[str, ...] = ()  # chunk or turn ids it was mentioned in


@dataclass(frozen=True, slots=True)
class Relation:
    id: str
    user_id: str
    source_id: str  # entity id
    target_id: str  # entity id
    type: str  # e.g. "co_occurs", "lives_in"
    weight: float = 1.0
    properties: dict[str, Any] = field(default_factory=dict, hash=False)
    valid_from: datetime | None = None
    valid_to: datetime | None = None  # set when superseded; the relation stays in history
    provenance: tuple[str, ...] = ()  # chunk or turn ids it was learned from
