"""What the English and Chinese fact rules share: the people a message has introduced so far
(for "she"/"他" and names said again), the subject of the last clause, and clause splitting."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from memory.fact_vocab import RETRACT, USER, is_single_valued


@dataclass(frozen=True, slots=True)
class Found:
    """One fact a rule read: subject, relation, object (the sentence is added by the caller)."""

    subject: str
    relation: str
    object: str


@dataclass(slots=True)
class Person:
    subject: str  # "Lin", or "user's sister" / "用户的妹妹" while unnamed
    relation: str  # how the user is related: has_sister
    gender: str  # "f", "m" or "" (unknown)
    named: bool
    known: bool = False  # known from memory, not introduced in this conversation


@dataclass(slots=True)
class Context:
    """State of one message while its clauses are read in order. ``people`` may start with the
    user's relatives known from memory (``known``) and those the conversation introduced."""

    people: list[Person] = field(default_factory=list)
    last_subject: str | None = None
    found: list[Found] = field(default_factory=list)

    def relative(self, relation: str, gender: str, name: str | None, unnamed: str) -> str:
        """The user's relative, named or not: remembered for later clauses; the subject to use.
        "my sister" without a name is the sister named before (or the only one memory knows)."""
        if name:
            self.add(USER, relation, name)
            subject = name
        else:
            subject = self._named(relation) or unnamed
        known = next((p for p in self.people if p.subject.casefold() == subject.casefold()), None)
        if known is None:
            self.people.append(Person(subject, relation, gender, bool(name)))
        else:
            self.mentioned(known)
        return subject

    def _named(self, relation: str) -> str | None:
        said = [p for p in self.people if p.named and not p.known and p.relation == relation]
        if said:
            return said[-1].subject
        known = {p.subject for p in self.people if p.known and p.relation == relation}
        return known.pop() if len(known) == 1 else None

    def name_relative(self, subject: str, name: str) -> str:
        """"Her name is Lin" about an unnamed relative: the user has a sister named Lin."""
        person = next((p for p in self.people if p.subject == subject and not p.named), None)
        if person is None:
            return subject
        self.add(USER, person.relation, name)
        person.subject, person.named = name, True
        return name

    def pronoun(self, gender: str) -> str | None:
        """Who "she" (``f``) or "he" (``m``) means: the person of that gender the conversation
        mentioned last, else the last one of unknown gender; with nobody mentioned, the one
        person memory knows who fits; else None."""
        said = [p for p in self.people if not p.known]
        for fits in (gender,), ("",):
            chosen = [p for p in said if p.gender in fits]
            if chosen:
                return chosen[-1].subject
        subjects = {p.subject for p in self.people if p.known and p.gender in (gender, "")}
        return subjects.pop() if len(subjects) == 1 else None

    def person_at(self, text: str) -> tuple[str, int] | None:
        """A person named before that ``text`` starts with: (subject, length)."""
        folded = text.casefold()
        forms = [(p.subject, p) for p in self.people if p.named]
        forms += [(p.subject.split()[0], p) for p in self.people if p.named and " " in p.subject]
        for form, p in sorted(forms, key=lambda fp: -len(fp[0])):
            if folded.startswith(form.casefold()):
                end = len(form)
                if end == len(text) or not (text[end].isascii() and text[end].isalnum()):
                    self.mentioned(p)
                    return p.subject, end
        return None

    def mentioned(self, person: Person) -> None:
        """``person`` was just mentioned: the most recent for "she"/"he"."""
        self.people.remove(person)
        self.people.append(Person(person.subject, person.relation, person.gender, person.named))

    def add(self, subject: str, relation: str, object_: str) -> None:
        if subject and object_ and subject.casefold() != object_.casefold():
            self.found.append(Found(subject, relation, object_))


_SENTENCES = re.compile(r"(?<=[.!?])\s+|(?<=[。!?;；！？])|\n+")


def sentences(text: str) -> list[str]:
    """English sentences end at ". ", "! ", "? "; Chinese ones at "。", "！", "？" and "；"."""
    return [s.strip() for s in _SENTENCES.split(text) if s and s.strip()]


def split_values(relation: str, value: str, separators: re.Pattern[str]) -> list[str]:
    """Multi-valued relations take lists ("cats and dogs"); single-valued ones keep the value whole."""
    base = relation.removeprefix(RETRACT)
    if is_single_valued(base) or base.startswith("has_"):
        return [value]
    return [v for v in separators.split(value) if v]


def clauses(sentence: str, separator: re.Pattern[str], starts_clause: Callable[[str], bool]) -> list[str]:
    """The sentence cut at ``separator`` where what follows starts a clause of its own; other
    pieces stay with the clause before them ("I like cats and dogs")."""
    pieces = separator.split(sentence)
    out = [pieces[0]]
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if piece.strip() and starts_clause(piece.strip()):
            out.append(piece)
        else:
            out[-1] += sep + piece
    return [c.strip() for c in out if c.strip()]
