"""Questions whether two named things are both of a kind: "Are Medici and Senet both board
games?", "Are King Vidor and Géza von Cziffra both American directors?".

Each side's passage (its title names it) opens with what it is ("Senet is a board game from
ancient Egypt"). Yes when both opening sentences say every word of the kind; no when one does
and the other says the same kind with another nationality ("a Hungarian film director"); any
other case is left undecided, so a "no" is never a guess from silence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.evidence_text import sentences_of
from agent.reader import Reading, quote
from memory.fact_vocab import word_set
from memory.parts import Passage

_BOTH = re.compile(r"^\s*(?:are|were)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+both\s+(?P<kind>[^?]+?)\s*\?*\s*$",
                   re.IGNORECASE)
_FILLER = word_set("a an the of from in both")
NATIONALITIES = word_set("""american british english scottish welsh irish canadian australian french
german italian spanish portuguese dutch belgian swiss austrian swedish norwegian danish finnish
icelandic polish czech slovak hungarian romanian bulgarian greek turkish russian ukrainian serbian
croatian chinese japanese korean indian pakistani bangladeshi thai vietnamese filipino indonesian
malaysian singaporean mexican brazilian argentine argentinian chilean colombian peruvian cuban
egyptian nigerian kenyan israeli iranian iraqi saudi""")


def _words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in re.findall(r"[a-z]+", text.lower())}


def kind_question(question: str) -> tuple[str, str, set[str]] | None:
    """(first side, second side, the kind's words) of an "Are X and Y both K?" question."""
    m = _BOTH.match(question)
    if m is None:
        return None
    kind = _words(m["kind"]) - _FILLER
    return (m["a"].strip(), m["b"].strip(), kind) if kind else None


def read_kind(question: str, evidence: Sequence[Passage],
              retrieve: Callable[[str], Sequence[Passage]] | None) -> Reading | None:
    asked = kind_question(question)
    if asked is None:
        return None
    a, b, kind = asked
    pool = list(evidence)
    opened = []
    for side in (a, b):
        if retrieve is not None:
            known = {p.text for p in pool}
            pool += [p for p in retrieve(side) if p.text not in known]
        found = _opening(side, pool)
        if found is None:
            return None
        opened.append(found)
    fits = [kind <= _words(sentence) for _, sentence in opened]
    if all(fits):
        short = "Yes"
    elif any(fits) and _other_nationality(kind, opened[fits.index(False)][1]):
        short = "No"
    else:
        return None
    (first, first_sentence), (second, second_sentence) = opened
    lines = [f"{short} [{second}]", quote("en", pool[first - 1], first_sentence, first),
             quote("en", pool[second - 1], second_sentence, second)]
    trace = f"checked whether each is {' '.join(sorted(kind))}: {fits[0]} / {fits[1]}"
    return Reading("\n".join(lines), short, second_sentence, second, 1.0, trace, tuple(pool),
                   first_sentence, first)


def _opening(side: str, pool: Sequence[Passage]) -> tuple[int, str] | None:
    """(1-based number, first sentence) of the passage about ``side``: titled with its name,
    else opening with it."""
    name = side.casefold()
    for titled in (True, False):
        for number, passage in enumerate(pool, start=1):
            sentences = sentences_of(passage.text)
            if not sentences:
                continue
            lead = next((s for s in sentences if not s.lstrip().startswith("#")), sentences[0])
            title = passage.source.casefold()
            if (titled and (title == name or title.startswith(name + " ("))) or \
                    (not titled and lead.casefold().startswith(name)):
                return number, lead
    return None


def _other_nationality(kind: set[str], sentence: str) -> bool:
    """The sentence says the kind's other words with a nationality the kind does not name."""
    asked = kind & NATIONALITIES
    said = _words(sentence)
    return bool(asked) and (kind - asked) <= said and bool((said & NATIONALITIES) - asked) \
        and not asked & said
