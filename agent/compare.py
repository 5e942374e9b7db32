"""Questions that compare two named things in time: "Which band was formed first, The Exies or
Circus Diablo?", "Who is older, Sid Haig or Vic Darchinyan?".

Each side is read on its own ("When was The Exies formed?", with a search for its passages),
and code compares the two years: the answer is the side that came first (or last), quoted with
both sentences. When a side has no year, or both have the same, there is no answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.reader import Reader, Reading, quote
from memory.parts import Passage

_EARLY = ("first", "earlier", "earliest", "sooner", "older", "oldest")
_LATE = ("later", "latest", "last", "younger", "youngest", "more recently", "most recently")
_ORDERS = "|".join(sorted(map(re.escape, _EARLY + _LATE), key=len, reverse=True))
_CHOICE = re.compile(rf"^\s*(?:which|who|what)\b(?P<head>.*?)\b(?P<order>{_ORDERS})\b[\s,:]*"
                     rf"(?P<a>[^,?]+?)\s*,?\s+or\s+(?P<b>[^,?]+?)\s*\?*\s*$", re.IGNORECASE)
_PARTICIPLE = re.compile(r"\b(?:[a-z]+ed|born|built|made|begun|written|founded|held|set up|run|shown|sung)\b",
                         re.IGNORECASE)
_PERSON_ORDER = ("older", "oldest", "younger", "youngest")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")


_EVENT_NOUNS = {"forming": "formed", "formation": "formed", "founding": "founded", "birth": "born",
                "release": "released", "publication": "published", "opening": "opened",
                "creation": "created", "establishment": "established"}
_EVENT_OF = re.compile(rf"^(?:the\s+)?(?P<event>{'|'.join(_EVENT_NOUNS)})\s+of\s+(?P<what>.+)$",
                       re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Comparison:
    sides: tuple[tuple[str, str], tuple[str, str]]  # (name, the participle it is asked about: "formed")
    earliest: bool  # the answer is the side that came first


def comparison_of(question: str) -> Comparison | None:
    """The two sides, the event and the direction of a "which came first" question, else None."""
    m = _CHOICE.match(question)
    if m is None:
        return None
    order = m["order"].lower()
    verbs = _PARTICIPLE.findall(m["head"])
    event = verbs[-1].lower() if verbs else ("born" if order in _PERSON_ORDER else "")
    sides = []
    for side in (m["a"], m["b"]):  # "the forming of The Dandy Warhols", "the birth of Robert Young"
        side = side.strip()
        if named := _EVENT_OF.match(side):
            sides.append((named["what"], _EVENT_NOUNS[named["event"].lower()]))
        else:
            sides.append((re.sub(r"^(?:the|a)\s+(?=[A-Z])", "", side), event))
    (a, event_a), (b, event_b) = sides
    if not event_a or not event_b or not a or not b or a.lower() == b.lower():
        return None
    return Comparison(((a, event_a), (b, event_b)), order in _EARLY)


def read_comparison(reader: Reader, question: str, evidence: Sequence[Passage],
                    retrieve: Callable[[str], Sequence[Passage]] | None) -> Reading | None:
    """The answer to a "which came first" question from ``evidence`` and searches for each side."""
    asked = comparison_of(question)
    if asked is None:
        return None
    pool = list(evidence)
    sides = []
    for option, event in asked.sides:
        if retrieve is not None:
            known = {p.text for p in pool}
            pool += [p for p in retrieve(f"{option} {event}") if p.text not in known]
        reading = reader.read(f"When was {option} {event}?", pool)
        years = _YEAR.findall(reading.short) if reading is not None else []
        if reading is None or len(set(years)) != 1:
            return None
        sides.append((int(years[0]), option, reading))
    if sides[0][0] == sides[1][0]:
        return None
    sides.sort(key=lambda side: side[0], reverse=not asked.earliest)
    (_, answer, won), (_, _, other) = sides  # passage numbers stay valid: the pool only grows
    lines = [f"{answer} [{won.passage}]", quote("en", pool[other.passage - 1], other.sentence, other.passage),
             quote("en", pool[won.passage - 1], won.sentence, won.passage)]
    trace = (f"compared the years: {sides[0][1]} {sides[0][0]}, {sides[1][1]} {sides[1][0]}; "
             f"answer: the {'earlier' if asked.earliest else 'later'}")
    return Reading("\n".join(lines), answer, won.sentence, won.passage, won.score, trace, tuple(pool),
                   other.sentence, other.passage)
