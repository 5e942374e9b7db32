"""Named relations the text states, found by pattern in English and Chinese: a trigger phrase
("founded by", "总部位于", "works for", "旗下") and, around it, the nearest entities of the types the
relation joins ("Kestrel Loom was founded in 2011 by Dana Okafor-Lind and Piet Varga" ->
founded_in 2011, founded_by each person). Where the subject is left out or is a pronoun ("The
company was founded...", "公司把总部迁到了..."), it is the organisation the text is about: the
last one that opened a sentence, else the one the text names most.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graph.chunking import TextSpan
from graph.cjk import cjk_ratio
from graph.extract import ExtractedRelation

ORG, PERSON, PLACE, DATE, PRODUCT = "organization", "person", "place", "date", "product"
# Entities are never joined across these (a clause or sentence boundary).
_CLAUSE_BREAK = re.compile(r"[，；。;！？!?\n]")
_SENTENCE_BREAK = re.compile(r"[；。;！？!?\n]")
_COORDINATION = re.compile(r"^\s*(?:,|，|、|&|and|和|与|及|以及|跟)?\s*(?:and\s+)?$")


@dataclass(frozen=True, slots=True)
class Mention:
    name: str
    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a relation's subject or object is found, relative to the trigger phrase."""
    types: frozenset[str]
    side: str  # "before" | "after" | "near" (the nearest of both)
    window: int  # most characters between the entity and the trigger
    topic: bool = False  # nothing in reach: the organisation the text is about
    many: bool = False  # every coordinated entity: "by A and B", "A和B"
    clauses: bool = False  # may reach across a comma into the clause before (林小姐住在杭州，在…工作)


@dataclass(frozen=True, slots=True)
class Rule:
    relation: str
    trigger: re.Pattern[str]
    subject: Slot
    object: Slot


def _slot(types: str | tuple[str, ...], side: str, window: int, **options: bool) -> Slot:
    return Slot(frozenset((types,) if isinstance(types, str) else types), side, window, **options)


def _rule(relation: str, trigger: str, subject: Slot, object_: Slot, flags: int = 0) -> Rule:
    return Rule(relation, re.compile(trigger, flags), subject, object_)


_I = re.IGNORECASE
_ROLE_EN = (r"(?:CEO|CTO|CFO|COO|[Cc]hief\s+\w+(?:\s+\w+)?\s+[Oo]fficer|[Cc]hief [Ee]xecutive|[Pp]resident"
            r"|[Cc]hair(?:man|woman|person)?|[Mm]anaging [Dd]irector|[Gg]eneral [Mm]anager|[Hh]ead of \w+)")
_ROLE_ZH = r"(?:总经理|董事长|首席\w{2,3}官|CEO|CTO|总裁|副总裁|总监|经理|主任|院长|校长|行长|厂长|局长)"

ENGLISH_RULES: tuple[Rule, ...] = (
    _rule("founded_by", r"\b(?:co-?)?founded\b(?:\s+in\s+[^,.;]{1,25}?)?\s+by\b"
          r"|\b(?:established|started|created|set up)\s+(?:in\s+[^,.;]{1,25}?\s+)?by\b",
          _slot(ORG, "before", 60, topic=True), _slot(PERSON, "after", 30, many=True), _I),
    _rule("founded_by", r"\b(?:co-?founded|founded|established|set up)\b(?!\s+(?:in|by|on|as)\b)",
          _slot(ORG, "after", 25), _slot(PERSON, "before", 20, many=True), _I),
    _rule("founded_by", r"\b(?:co-?)?founders?\s+(?:of|at)\b",
          _slot(ORG, "after", 30), _slot(PERSON, "before", 30, many=True), _I),
    _rule("founded_by", r"\b(?:co-?)?founders?,?\s+(?:is|are|was|were)\b",
          _slot(ORG, "before", 30, topic=True), _slot(PERSON, "after", 20, many=True), _I),
    _rule("founded_in", r"\b(?:founded|established|incorporated)\b",
          _slot(ORG, "before", 60, topic=True), _slot(DATE, "after", 30), _I),
    _rule("invented_by", r"\b(?:invented|designed|patented)\s+(?:in\s+[^,.;]{1,25}?\s+)?by\b",
          _slot((PRODUCT, "other"), "before", 40), _slot((PERSON, ORG), "after", 30, many=True), _I),
    _rule("launched_in", r"\b(?:launched|released|introduced)\b",
          _slot(PRODUCT, "before", 40), _slot(DATE, "after", 20), _I),
    _rule("headquartered_in",
          r"\bheadquartered\s+in\b|\bheadquarters\b|\b(?:head|main)\s+office\b|\bbased\s+in\b",
          _slot(ORG, "before", 60, topic=True), _slot(PLACE, "after", 60), _I),
    _rule("works_for", r"\b(?:works|worked|working)\s+(?:for|at)\b|\bjoined\b|\bemployed\s+(?:by|at)\b"
          r"|\b(?:employee|engineer|manager|director|analyst|researcher|scientist|intern)\s+(?:at|of|with)\b"
          r"|\binterned\s+at\b|\binternship\s+(?:at|with)\b",
          _slot(PERSON, "before", 50), _slot(ORG, "after", 40), _I),
    _rule("works_for", _ROLE_EN + r"\s+(?:of|at)\b",
          _slot(PERSON, "before", 30), _slot(ORG, "after", 30)),
    _rule("works_for", r"\b(?:is|was|has been|had been|became|becomes|serves as|served as|remains)"
          r"\s+(?:the\s+)?(?:company's\s+|its\s+)?(?:new\s+|current\s+)?" + _ROLE_EN,
          _slot(PERSON, "before", 4), _slot(ORG, "after", 30, topic=True)),
    _rule("works_for", _ROLE_EN + r"\s+(?:is|was|has been)\b",
          _slot(PERSON, "after", 6), _slot(ORG, "before", 30, topic=True)),
    _rule("located_in", r"\blocated\s+in\b|\b(?:building|offices?|factory|plant|campus|store|shop|branch"
          r"|warehouse|site|tower)\s+in\b|\bis\s+a\s+(?:city|town|village|district|region|province|county)\s+in\b",
          _slot((ORG, PLACE, "other"), "before", 40), _slot(PLACE, "after", 30), _I),
    _rule("part_of", r"\b(?:a|the)\s+(?:subsidiary|division|unit|brand|department|part)\s+of\b|\bowned\s+by\b"
          r"|\bpart\s+of\b|\bbelongs\s+to\b",
          _slot((ORG, PRODUCT, PLACE, "other"), "before", 40), _slot((ORG, PLACE), "after", 30), _I),
    _rule("acquired", r"\b(?:acquired|bought)\b", _slot(ORG, "before", 30), _slot(ORG, "after", 30), _I),
    _rule("makes", r"\b(?:makes|builds|produces|manufactures|develops|designs|sells)\b",
          _slot(ORG, "before", 40, topic=True), _slot((PRODUCT, "concept"), "after", 25, many=True), _I),
    _rule("makes", r"\bproducts?\b,?\s*(?:is|was|are|called|named|includes?)?",
          _slot(ORG, "before", 30, topic=True), _slot(PRODUCT, "after", 15, many=True), _I),
    _rule("lives_in", r"\b(?:lives|lived|living|resides|resided|settled|grew\s+up)\s+in\b",
          _slot(PERSON, "before", 30), _slot(PLACE, "after", 20), _I),
    _rule("born_in", r"\bborn\b", _slot(PERSON, "before", 40), _slot((PLACE, DATE), "after", 30), _I),
)

CHINESE_RULES: tuple[Rule, ...] = (
    _rule("founded_in", r"成立|创立|创建|创办|始建|注册",
          _slot(ORG, "before", 20, topic=True), _slot(DATE, "near", 3)),
    _rule("founded_by", r"创始人(?:是|为)?|创办人(?:是|为)?|创建者(?:是|为)?",
          _slot(ORG, "before", 15, topic=True), _slot(PERSON, "after", 3, many=True)),
    _rule("founded_by", r"由(?=[^，。；,]{2,12}?(?:共同)?(?:创立|创办|创建|成立|创始))",
          _slot(ORG, "before", 20, topic=True), _slot(PERSON, "after", 2, many=True)),
    _rule("founded_by", r"(?:创立|创办|创建)了",
          _slot(ORG, "after", 10), _slot(PERSON, "before", 3, many=True)),
    _rule("headquartered_in", r"总部(?:位于|设在|设于|在|坐落于|坐落在|迁到了?|迁至|迁往|搬到了?|搬迁至)",
          _slot(ORG, "before", 20, topic=True), _slot(PLACE, "after", 12)),
    _rule("works_for", r"工作|任职|就职|上班|供职|实习",
          _slot(PERSON, "before", 20, clauses=True), _slot(ORG, "before", 12)),
    _rule("works_for", r"加入了?|入职", _slot(PERSON, "before", 10), _slot(ORG, "after", 12)),
    _rule("works_for", _ROLE_ZH, _slot(PERSON, "near", 4), _slot(ORG, "before", 20, topic=True)),
    _rule("part_of", r"旗下(?:的|有|拥有)?", _slot((ORG, PRODUCT, "other"), "after", 10, many=True),
          _slot(ORG, "before", 10, topic=True)),
    _rule("part_of", r"隶属于|属于|(?:是|为)(?=[^，。；]{1,15}?的(?:子公司|分公司|一部分|下属))",
          _slot((ORG, PRODUCT, PLACE, "other"), "before", 10), _slot((ORG, PLACE), "after", 15)),
    _rule("located_in", r"(?<!总部)(?:位于|坐落于|坐落在|地处)",
          _slot((ORG, PLACE, "other"), "before", 10), _slot(PLACE, "after", 10)),
    _rule("partners_with", r"与(?=[^，。；]{1,30}?(?:合作|签约|签署|结盟|联手))",
          _slot(ORG, "before", 20, topic=True), _slot(ORG, "after", 3, many=True)),
    _rule("invented_by", r"(?:被|由)(?=[^，。；]{1,12}?(?:发明|设计))",
          _slot((PRODUCT, "other"), "before", 10), _slot((PERSON, ORG), "after", 2, many=True)),
    _rule("acquired", r"收购了?", _slot(ORG, "before", 10), _slot(ORG, "after", 10)),
    _rule("makes", r"(?:旗舰)?产品(?:是|为|有|包括)?|生产|推出了?|研发了?",
          _slot(ORG, "before", 15, topic=True), _slot(PRODUCT, "after", 8, many=True)),
    _rule("lives_in", r"住在|居住在|居住于|定居在|定居于|生活在",
          _slot(PERSON, "before", 10), _slot(PLACE, "after", 6)),
    _rule("born_in", r"出生于|生于|出生在", _slot(PERSON, "before", 10), _slot((PLACE, DATE), "after", 12)),
)
# "临江市滨湖大厦": a place written right after the town or province it is in.
_ADMINISTRATIVE = ("省", "市", "县", "区", "州", "镇", "乡", "村")


def stated_relations(sentences: Iterable[TextSpan], mentions: Sequence[Mention],
                     *, chinese: bool | None = None) -> tuple[ExtractedRelation, ...]:
    """The relations the sentences state between the mentioned entities, weighted by the number
    of sentences that state them. ``chinese``: which rules to use (None: per sentence, by script)."""
    ordered = sorted(mentions, key=lambda m: m.start)
    current = _most_named_org(ordered)
    weights: Counter[tuple[str, str, str]] = Counter()
    evidence: dict[tuple[str, str, str], str] = {}
    for sentence in sentences:
        inside = [m for m in ordered if m.start >= sentence.start and m.end <= sentence.end]
        current = _opening_org(sentence, inside) or current
        is_chinese = cjk_ratio(sentence.text) >= 0.2 if chinese is None else chinese
        found = set(_apply_rules(CHINESE_RULES if is_chinese else ENGLISH_RULES, sentence, inside, current))
        if is_chinese:
            found |= set(_places_within_places(sentence, inside))
        for key in found:
            weights[key] += 1
            evidence.setdefault(key, sentence.text)
    return tuple(ExtractedRelation(s, r, o, float(w), evidence[(s, r, o)])
                 for (s, r, o), w in weights.items())


def _apply_rules(rules: Sequence[Rule], sentence: TextSpan, inside: list[Mention],
                 current: Mention | None) -> Iterable[tuple[str, str, str]]:
    for rule in rules:
        for match in rule.trigger.finditer(sentence.text):
            start, end = sentence.start + match.start(), sentence.start + match.end()
            subjects = _fill(rule.subject, sentence, inside, start, end, current)
            objects = _fill(rule.object, sentence, inside, start, end, current)
            for subject in subjects:
                for object_ in objects:
                    if subject.name != object_.name:
                        yield subject.name, rule.relation, object_.name


def _fill(slot: Slot, sentence: TextSpan, inside: list[Mention], start: int, end: int,
          current: Mention | None) -> list[Mention]:
    """The entities that fill ``slot`` around the trigger at [start, end)."""

    def gap(a: int, b: int) -> str:
        return sentence.text[a - sentence.start:b - sentence.start]

    fits = [m for m in inside if m.type in slot.types]
    breaks = _SENTENCE_BREAK if slot.clauses else _CLAUSE_BREAK
    before = [m for m in reversed(fits) if m.end <= start and start - m.end <= slot.window
              and not breaks.search(gap(m.end, start))]
    after = [m for m in fits if m.start >= end and m.start - end <= slot.window
             and not _CLAUSE_BREAK.search(gap(end, m.start))]
    if slot.side == "near":
        ranked = sorted([(start - m.end, 0, m) for m in before[:1]]
                        + [(m.start - end, 1, m) for m in after[:1]], key=lambda item: item[:2])
        chosen = [ranked[0][2]] if ranked else []
        side = "after" if ranked and ranked[0][1] else "before"
    else:
        chosen, side = (before if slot.side == "before" else after)[:1], slot.side
    if chosen and slot.many:
        chosen = _coordinated(chosen[0], fits, side, gap)
    if not chosen and slot.topic and current is not None and ORG in slot.types:
        chosen = [current]
    return chosen


def _coordinated(first: Mention, fits: list[Mention], side: str, gap) -> list[Mention]:
    """``first`` and the entities joined to it by "and", "和", "、" ... on the far side."""
    chosen = [first]
    line = fits if side == "after" else list(reversed(fits))
    for mention in line[line.index(first) + 1:]:
        last = chosen[-1]
        between = gap(last.end, mention.start) if side == "after" else gap(mention.end, last.start)
        if not _COORDINATION.match(between):
            break
        chosen.append(mention)
    return chosen


def _opening_org(sentence: TextSpan, inside: list[Mention]) -> Mention | None:
    """The organisation a sentence opens with ("Bluefin Robotics builds ...", "# 星河科技简介")."""
    if not inside or inside[0].type != ORG:
        return None
    lead = sentence.text[:inside[0].start - sentence.start]
    return inside[0] if re.fullmatch(r"[\s#*>\-\d.、:：]*(?:[Tt]he\s+)?", lead) else None


def _most_named_org(mentions: list[Mention]) -> Mention | None:
    counts = Counter(m.name for m in mentions if m.type == ORG)
    if not counts:
        return None
    name = max(counts, key=lambda n: (counts[n], -next(m.start for m in mentions if m.name == n)))
    return next(m for m in mentions if m.name == name)


def _places_within_places(sentence: TextSpan, inside: list[Mention]) -> Iterable[tuple[str, str, str]]:
    def gap(a: int, b: int) -> str:
        return sentence.text[a - sentence.start:b - sentence.start]

    for outer, inner in itertools.pairwise(inside):
        if (outer.type == PLACE and inner.type == PLACE and outer.name.endswith(_ADMINISTRATIVE)
                and inner.start - outer.end <= 1 and gap(outer.end, inner.start) in ("", "的")):
            yield inner.name, "located_in", outer.name
