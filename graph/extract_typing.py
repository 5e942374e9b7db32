"""Entity types from the words around a name, in English and Chinese, after the taggers have
guessed. What a name does in the text outweighs what a tagger guessed from the name alone:

- an organisation is what is founded, has headquarters, staff or subsidiaries
  ("X 成立于", "X 总部", "X 旗下", "X 的员工", "X employs", "X's headquarters"); a name joined by
  "和/与/、" to an organisation, or a partner "与 X 合作" of one, is one too (unless it reads as a
  person's name); a shorter form of an organisation's name ("Kestrel Loom" of "Kestrel Loom
  Analytics", 云岫 of 云岫智能家居有限公司) is the same organisation;
- whoever something was invented, founded or written "by" is a person (or an organisation);
- a product is what the text calls one ("its flagship product, Sounder") or what was invented
  or designed ("the Zephyr lamp was invented by");
- a name of two or more words written again is a mention of it, not of a part of it;
- a single-word "organisation" the text puts a place preposition before ("in Marrowgate") is a place;
- a role written in capitals (CEO, CTO) is no organisation.
"""

from __future__ import annotations

import itertools
import re

from graph.cjk import has_cjk
from graph.extract import EntityCollector
from graph.extract_zh import looks_like_person

ORG_WORDS = frozenset({
    "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc", "gmbh", "ag", "co",
    "co.", "company", "group", "holdings", "robotics", "labs", "lab", "laboratories", "systems",
    "technologies", "technology", "software", "solutions", "industries", "networks", "motors",
    "airlines", "bank", "university", "college", "institute", "foundation", "association",
    "ventures", "partners", "capital", "studios", "studio", "media", "pharmaceuticals", "energy",
    "dynamics", "analytics", "logistics", "electronics", "games", "records", "press", "agency",
    "council", "ministry", "department", "hospital", "school", "academy", "society", "club", "fund"})
ROLE_ACRONYMS = frozenset({"CEO", "CTO", "CFO", "COO", "CIO", "CMO", "CSO", "VP", "SVP", "EVP"})

_ORG_AFTER = re.compile(
    r"^(?:的)?(?:成立于|成立时|成立以来|成立至今|总部|旗下|员工|职工|创始人|董事长|总经理|首席执行官|上市|股价"
    r"|子公司|分公司|产品线)|^的产品"
    r"|^于\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?(?:成立|创立)"
    r"|^(?:'s|’s)\s+(?:headquarters|head office|main office|employees|staff|founders?|CEO|CTO|shares"
    r"|subsidiary)\b"
    r"|^\s+(?:employs|was founded|was established|was incorporated|is headquartered|has its headquarters"
    r"|is a (?:\w+ ){0,2}(?:company|firm|startup|corporation|manufacturer|maker|bank|retailer|brand"
    r"|business))\b")
_PRODUCT_BEFORE = re.compile(r"(?:\bproducts?|\bmodel|\bbrand)\s*,?\s*"
                             r"(?:is\s+|was\s+|called\s+|named\s+)?[\"“]?$"
                             r"|(?:产品|型号|品牌)(?:是|为|叫)?[“「\"]?$", re.IGNORECASE)
_PRODUCT_AFTER = re.compile(r"^(?:\s+[a-z]+){0,2}\s+(?:was|were|is|are)\s+(?:first\s+)?"
                            r"(?:invented|designed|manufactured|patented)\b"
                            r"|^(?:被|由)[^，。；]{1,12}?(?:发明|设计|研发)")
# "invented by X", "founded by X": X did it, so a person (or an organisation), never a product or place
_AGENT_BEFORE = re.compile(r"\b(?:invented|designed|founded|created|written|directed|composed|painted"
                           r"|developed|discovered|patented)\s+(?:in\s+\S+\s+)?by\s+$")
_PLACE_BEFORE = re.compile(r"\b(?:in|near|outside|above|below|around)\s+(?:the\s+)?$")
_GENERIC = frozenset({"公司", "该公司", "本公司", "集团", "企业", "产品", "用户", "客户"})
_JOINED = re.compile(r"^\s*(?:和|与|、|及|以及|and|,)\s*$")
_PARTNER = re.compile(r"与([^，。；]{2,30}?)(?:合作|签约|签署|结盟|联手)")


def org_named(name: str) -> bool:
    """"Bluefin Robotics", "Acme Inc.": two or more words, the last an organisation word."""
    words = name.split()
    return len(words) >= 2 and words[-1].casefold() in ORG_WORDS


def claim_whole_names(text: str, out: EntityCollector) -> None:
    """Where the text writes a found name of two or more words again ("# Zephyr lamp" ... "The Zephyr
    lamp was invented"), that is a mention of it, not of what a tagger found inside it ("Zephyr")."""
    named = [name for name, type_ in out.types().items()
             if type_ not in ("concept", "date") and " " in name and not has_cjk(name)]
    for name in sorted(named, key=len, reverse=True):
        for found in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text):
            start, end = found.span()
            if not any(s < end and start < e and not (start <= s and e <= end)
                       for _, s, e in out.mentions()):  # no mention crosses its edges
                out.claim(name, start, end)


def retype_by_context(text: str, out: EntityCollector) -> None:
    """Give ``out``'s entities the types the words around their mentions show."""
    mentions = sorted(out.mentions(), key=lambda m: m[1])
    guessed = out.types()
    for name, start, end in mentions:
        if _generic(name):
            continue
        if name in ROLE_ACRONYMS:
            out.retype(name, "concept")
        elif _ORG_AFTER.search(text[end:end + 40]):
            out.retype(name, "organization")
        elif (guessed[name] in ("product", "place", "other")
              and _AGENT_BEFORE.search(text[max(0, start - 40):start])):
            out.retype(name, "organization" if org_named(name) else "person")
        elif (_PRODUCT_BEFORE.search(text[max(0, start - 30):start])
              or _PRODUCT_AFTER.search(text[end:end + 30])):
            out.retype(name, "product")
        elif (guessed[name] in ("organization", "other") and not has_cjk(name) and " " not in name
              and _PLACE_BEFORE.search(text[max(0, start - 12):start])):
            out.retype(name, "place")
    _partners_and_coordination(text, mentions, out)
    _short_forms(out)


def _generic(name: str) -> bool:
    """"company", "公司": a common noun, not a name (lower-case English, or a generic Chinese word)."""
    return name in _GENERIC or (not has_cjk(name) and not name[:1].isupper() and not name[:1].isdigit())


def _could_be_org(name: str, type_: str) -> bool:
    return (type_ in ("person", "other", "concept") and not _generic(name)
            and not (has_cjk(name) and looks_like_person(name)))


def _partners_and_coordination(text: str, mentions: list[tuple[str, int, int]], out: EntityCollector) -> None:
    types = out.types()
    for partner in _PARTNER.finditer(text):
        for name, start, end in mentions:
            if partner.start(1) <= start and end <= partner.end(1) and _could_be_org(name, types[name]):
                out.retype(name, "organization")
    types = out.types()
    for (a, _, a_end), (b, b_start, _) in itertools.pairwise(mentions):
        if _JOINED.match(text[a_end:b_start]):
            if types[a] == "organization" and _could_join(b, types[b]):
                out.retype(b, "organization")
            elif types[b] == "organization" and _could_join(a, types[a]):
                out.retype(a, "organization")


def _could_join(name: str, type_: str) -> bool:
    """Joined to an organisation, a name is one too: any Chinese one that is no person's name, an
    English one the tagger left untyped."""
    return _could_be_org(name, type_) if has_cjk(name) else type_ == "other" and not _generic(name)


def _short_forms(out: EntityCollector) -> None:
    types = out.types()
    orgs = [name for name, type_ in types.items() if type_ == "organization"]
    for name, type_ in types.items():
        if not _could_be_org(name, type_) or len(name) < 2:
            continue
        for org in orgs:
            shorter = org.startswith(name) and len(org) > len(name)
            if shorter and (has_cjk(name) or (" " in name and org[len(name)] == " ")):
                out.retype(name, "organization")
                break
