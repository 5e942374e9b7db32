"""The forgetting curve of remembered facts.

strength = (1 - 0.5 ** n) * 0.5 ** (days / (half_life * n)), n = times told, days = since last told:
telling once gives 0.5, each repeat halves the distance to 1 and makes the fact fade n times slower.
"""

from __future__ import annotations

from datetime import datetime

SECONDS_PER_DAY = 86_400.0


def learned(reinforcements: int) -> float:
    """How strong a fact is right after it was told ``reinforcements`` times (0 if never)."""
    return 1.0 - 0.5 ** max(reinforcements, 0)


def strength(reinforcements: int, last_reinforced: datetime, now: datetime,
             half_life_days: float) -> float:
    """The fact's strength at ``now``, in 0..1; a ``now`` before ``last_reinforced`` counts as no time."""
    if reinforcements <= 0:
        return 0.0
    days = max((now - last_reinforced).total_seconds(), 0.0) / SECONDS_PER_DAY
    return learned(reinforcements) * 0.5 ** (days / (half_life_days * reinforcements))
