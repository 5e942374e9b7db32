"""English patterns for what users say about themselves and the people close to them."""

from __future__ import annotations

import re

from memory.fact_rules import Context, clauses, split_values
from memory.fact_rules_en_words import MOD, NOT_A_JOB, NOT_NAMES, NOT_NEW_NAMES, expand_contractions
from memory.fact_rules_never import FILLER_EN, future_en, plans_en, statement_en
from memory.fact_vocab import (
    RELATIVES_EN,
    RETRACT,
    USER,
    favourite_relation,
    is_occupation_en,
    number_value,
    word_set,
)

_REL = "|".join(sorted(map(re.escape, RELATIVES_EN), key=len, reverse=True))
_AUX = re.compile(r"^(?:(?:am|is|are|have|has|do|does|just|also|still|now|currently|recently|been|"
                  r"really|actually|already|finally|even|happily|officially)\s+)+", re.IGNORECASE)
_NEGATION = re.compile(r"^(?:not|no longer)\s+", re.IGNORECASE)
_ANYMORE = re.compile(r"\bany ?more\b|\bno longer\b", re.IGNORECASE)

# (pattern after the subject, relation); the object is group "o".
_PREDICATES = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"(?:live|lives|living|reside|resides|residing|stay|stays|staying) in (?P<o>.+)", "lives_in"),
    (r"(?:moved|move|moving|relocated|relocating) (?:back )?to (?P<o>.+)", "lives_in"),
    (r"(?:work|works|working) (?:at|for) (?P<o>.+)", "works_at"),
    (r"(?:changed|switched|moved) jobs? (?:and (?:now )?works? )?(?:to|at|for) (?P<o>.+)", "works_at"),
    (r"(?:got|started|found|took|landed) a (?:new )?job (?:at|with) (?P<o>.+)", "works_at"),
    (r"(?:started|began) (?:working|to work) (?:at|for) (?P<o>.+)", "works_at"),
    (r"(?:work|works|working) as (?P<o>.+)", "works_as"),
    (r"(?:study|studies|studying) at (?P<o>.+)", "studies_at"),
    (r"(?:come |comes |originally )?from (?P<o>.+)", "hometown"),
    (r"(?:like|likes|love|loves|enjoy|enjoys|adore|adores)(?: to)? (?P<o>.+)", "likes"),
    (r"(?:hate|hates|dislike|dislikes|detest|detests|cannot stand|can not stand) (?P<o>.+)", "dislikes"),
    (r"allergic to (?P<o>.+)", "allergic_to"),
    (r"(?:speak|speaks) (?P<o>.+)", "speaks"),
    (r"(?:was |were )?born on (?P<o>.+)", "birthday"),
    (r"(?:was |were )?born in (?P<o>.+)", "born_in"),
    (r"(?:called|named) (?P<o>.+)", "name"),
    (r"changed (?:my|his|her) name to (?P<o>.+)", "name"),
    (r"married to (?P<o>.+)", "has_spouse"),
    (r"(?P<o>\d{1,3}) years? old\b.*", "age"),
    (r"(?:quit|left) (?:my job |his job |her job )?(?:at |with )?(?P<o>.+)", RETRACT + "works_at"),
)]
_HAVE_RELATIVE = re.compile(rf"(?:got )?(?:a|an|one) {MOD}(?P<rel>{_REL}) (?:named|called) (?P<o>.+)",
                            re.IGNORECASE)
# "is a nurse", "is now a software engineer at Initech", "is my best friend".
_COPULA = re.compile(r"(?:is|am|are|(?:has |have )?become|became)(?:\s+(?:now|also|still|currently|"
                     r"actually|really|already|finally|officially|just))*\s+(?P<neg>not\s+|no longer\s+)?"
                     r"(?P<np>.+)", re.IGNORECASE)
_MY_RELATIVE = re.compile(rf"(?P<my>my |one of my )?(?:a |an )?{MOD}(?P<rel>{_REL})s?(?P<mine> of mine)?$",
                          re.IGNORECASE)
_A_JOB = re.compile(r"(?:a|an) (?P<job>[a-z][a-z -]*?)(?:\s+(?P<prep>at|for|in|with|from)\s+(?P<where>.+))?$",
                    re.IGNORECASE)
_AGE = re.compile(r"(?P<n>\w+(?:[ -]\w+)?)(?: years? old)?", re.IGNORECASE)
# After "my", "her", "my sister's", "Lin's": (pattern, relation or None for favourite_<thing>).
_POSSESSIVE = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"name is (?P<o>.+)", "name"),
    (r"birthday is (?:on )?(?P<o>.+)", "birthday"),
    (r"favou?rite (?P<thing>[a-z][a-z ]{0,30}?) (?:is|are) (?P<o>.+)", None),
    (r"(?:job|occupation|profession) is (?P<o>.+)", "works_as"),
    (r"home ?town is (?P<o>.+)", "hometown"),
)]
_CUT = re.compile(
    r"\s*(?:,|[;:!?()\"]|\.(?:\s|$))|\s+(?:because|since|with|where|which|who|but|so|although|though|"
    r"when|while|if|until|for (?:[\w-]+ ){1,3}?(?:years?|months?|weeks?|days?|decades?)|for ages|"
    r"now|these days|right now|at the moment|any ?more|as well|too|last (?:year|month|week)|"
    r"this (?:year|month|week)|recently|in \d{4}|(?:\d+|a|an|two|three|a few|several) "
    r"(?:years?|months?|weeks?|days?) ago|yesterday|today|already|again|that's|that is|"
    r"(?:right|just) (?:by|next to|near|outside|off|across from))\b", re.IGNORECASE)
# The same without the comma: for lists ("cats, dogs and birds") and dates ("May 1, 1990").
_CUT_KEEP_COMMA = re.compile(_CUT.pattern.replace("(?:,|", "(?:", 1), re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|the city of|(?-i:the))\s+", re.IGNORECASE)  # "The Hague" stays
_VOID = word_set("it that this them him her you me everything nothing something anything")
_LIST = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_][\w.-]*")
_FAMILY_NAME = re.compile(r"(?P<rel>mum|mom|dad|grandma|grandpa|granny)\s+(?P<rest>.+)", re.IGNORECASE)
_CAPITALISED = re.compile(r"[A-Z][\w.'-]*")
_CLAUSE_SEPARATOR = re.compile(r"(\s*[,;]\s*(?:and\s+|but\s+|so\s+)?|\s+(?:and|but|so)\s+)", re.IGNORECASE)


def read_sentence_en(sentence: str, ctx: Context) -> None:
    """Add to ``ctx.found`` every fact the patterns find in one English sentence."""
    statement = statement_en(expand_contractions(sentence)).rstrip(".!")
    for clause in clauses(statement, _CLAUSE_SEPARATOR, lambda c: _starts_clause(c, ctx)):
        _read_clause(clause, ctx)


def _starts_clause(piece: str, ctx: Context) -> bool:
    piece = FILLER_EN.sub("", piece)
    return bool(re.match(r"(?:i|my|she|he|her|his)\b", piece, re.IGNORECASE) or ctx.person_at(piece)
                or plans_en(piece) or _new_name(piece) or _predicate(piece, USER, Context(), dry_run=True))


def _read_clause(clause: str, ctx: Context) -> None:
    future = future_en(clause)  # "... next month": the subject counts, the predicate does not
    subject, rest, possessive = _subject(FILLER_EN.sub("", clause), ctx)
    if subject is None:  # "... and works at Alibaba": the last clause's subject goes on
        subject, rest, possessive = ctx.last_subject, FILLER_EN.sub("", clause), False
        if subject is None:
            return
    ctx.last_subject = subject
    if future:
        return
    if possessive:
        _possessive(rest, subject, ctx)
    else:
        _predicate(rest, subject, ctx)


def _subject(clause: str, ctx: Context) -> tuple[str | None, str, bool]:
    """(subject, the rest of the clause, whether the subject was possessive: "my", "her")."""
    if m := re.match(r"i\s+", clause, re.IGNORECASE):
        return USER, clause[m.end():], False
    if m := re.match(rf"my\s+{MOD}(?P<rel>{_REL})\b(?P<rest>.*)", clause, re.IGNORECASE):
        return _relative(m["rel"].lower(), m["rest"], ctx)
    if m := re.match(r"my\s+", clause, re.IGNORECASE):
        return USER, clause[m.end():], True
    if m := re.match(r"(?P<who>she|he|her|his)\s+", clause, re.IGNORECASE):
        who = m["who"].lower()
        subject = ctx.pronoun("f" if who in ("she", "her") else "m")
        return (subject, clause[m.end():], who in ("her", "his")) if subject else (None, clause, False)
    if found := ctx.person_at(clause):
        subject, end = found
        rest = clause[end:]
        if rest.startswith("'s "):
            return subject, rest[3:], True
        return subject, rest.lstrip(), False
    if (m := _FAMILY_NAME.match(clause)) and _predicate(m["rest"], USER, Context(), dry_run=True):
        return _relative(m["rel"].lower(), m["rest"], ctx)  # "Mum lives in Leeds"
    if found := _new_name(clause):
        return found
    return None, clause, False


def _new_name(clause: str) -> tuple[str, str, bool] | None:
    """A capitalised name of one to three words that no earlier clause introduced, when what
    follows it reads as a predicate: "Tom Baker works at Initech", "Lin's birthday is ..."."""
    tokens = clause.split(" ")
    for n in range(1, min(3, len(tokens) - 1) + 1):
        word = tokens[n - 1]
        core = word.removesuffix("'s")
        if not _CAPITALISED.fullmatch(core) or core.lower() in NOT_NEW_NAMES:
            return None
        name, after = " ".join([*tokens[: n - 1], core]), " ".join(tokens[n:])
        if core != word:
            return (name, after, True) if _possessive(after, USER, Context(), dry_run=True) else None
        if _predicate(after, USER, Context(), dry_run=True):
            return name, after, False
    return None


def _relative(noun: str, rest: str, ctx: Context) -> tuple[str, str, bool]:
    """"my sister[ Lin][ 's] ...": the first reading (no name, or a name of one to three words)
    whose rest parses, or whose name ends the clause ("my sister, Lin, ...")."""
    relation, gender = RELATIVES_EN[noun]
    unnamed = f"user's {noun}"
    for name, after in _name_readings(rest.lstrip(" ,")):
        if after.startswith("'s ") and _possessive(after[3:], USER, Context(), dry_run=True):
            return ctx.relative(relation, gender, name or None, unnamed), after[3:], True
        alone = name and not after and (" " not in name or name.istitle())  # "my sister, Lin, ..."
        if alone or _predicate(after, USER, Context(), dry_run=True):
            return ctx.relative(relation, gender, name or None, unnamed), after, False
    return ctx.relative(relation, gender, None, unnamed), rest, False


def _name_readings(rest: str):
    """("", rest), then (name, what follows it) for names of one, two and three words."""
    yield "", rest
    tokens = rest.split(" ")
    for n in range(1, min(3, len(tokens)) + 1):
        word = tokens[n - 1].rstrip(",")
        core = word.removesuffix("'s")
        if not _NAME_WORD.fullmatch(core) or core.lower() in NOT_NAMES:
            return
        after = ("'s " if core != word else "") + " ".join(tokens[n:])
        yield " ".join([*tokens[: n - 1], core]), after.lstrip(" ,")
        if core != word or tokens[n - 1].endswith(","):
            return


def _predicate(clause: str, subject: str, ctx: Context, *, dry_run: bool = False) -> bool:
    if plans_en(clause):  # "will move to", "want to live in": not what holds now
        return False
    if _copula(clause, subject, ctx, dry_run):
        return True
    rest = _AUX.sub("", clause)
    negated = bool(_NEGATION.match(rest))
    rest = _AUX.sub("", _NEGATION.sub("", rest))
    if plans_en(rest):
        return False
    if m := _HAVE_RELATIVE.match(rest):
        relation, gender = RELATIVES_EN[m["rel"].lower()]
        name = _clean(m["o"], relation)
        if dry_run or negated or not name:
            pass
        elif subject == USER:
            ctx.relative(relation, gender, name, "")
        else:
            ctx.add(subject, relation, name)
        return True
    for pattern, relation in _PREDICATES:
        if m := pattern.match(rest):
            if not dry_run:
                _emit(ctx, subject, _negate(relation, negated, clause), m["o"])
            return True
    return False


def _copula(clause: str, subject: str, ctx: Context, dry_run: bool) -> bool:
    """"X is a nurse [at Y]" (works_as, works_at), "X is my best friend" (the user's friend X);
    not "X is happy" or "X is a good cook"."""
    if not (m := _COPULA.fullmatch(clause)):
        return False
    np = _CUT.split(m["np"], maxsplit=1)[0]
    if (age := _AGE.fullmatch(np)) and (years := number_value(age["n"])):  # "is eight", "am 30"
        if not (dry_run or m["neg"]):
            ctx.add(subject, "age", years)
        return not m["neg"]
    if (rel := _MY_RELATIVE.match(np)) and (rel["my"] or rel["mine"]):
        if m["neg"] or (not dry_run and (subject == USER or subject.startswith("user's "))):
            return False
        if not dry_run:
            ctx.relative(*RELATIVES_EN[rel["rel"].lower()], subject, "")
        return True
    if not (job := _A_JOB.match(np)):
        return False
    words = job["job"].split(" of ")[0].split()
    if not words or len(words) > 4 or not NOT_A_JOB.isdisjoint(w.lower() for w in words):
        return False
    at = job["where"] if job["prep"] in ("at", "for") else None
    if words[-1].lower() == "student" and at and not m["neg"]:  # "a student at Oxford"
        if not dry_run:
            _emit(ctx, subject, "studies_at", at)
        return True
    if not is_occupation_en(words[-1]):
        return False
    if not dry_run:
        _emit(ctx, subject, RETRACT + "works_as" if m["neg"] else "works_as", job["job"])
        if at and not m["neg"]:
            _emit(ctx, subject, "works_at", at)
    return True


def _negate(relation: str, negated: bool, clause: str) -> str:
    """"do not live in X" ends X; "do not like X" is a dislike unless it says the liking ended
    ("any more", "no longer")."""
    if not negated:
        return relation
    if relation == "likes" and not _ANYMORE.search(clause):
        return "dislikes"
    return relation if relation.startswith(RETRACT) else RETRACT + relation


def _possessive(rest: str, subject: str, ctx: Context, *, dry_run: bool = False) -> bool:
    for pattern, relation in _POSSESSIVE:
        if m := pattern.match(rest):
            if not dry_run:
                _emit(ctx, subject, relation or favourite_relation(m["thing"]), m["o"])
            return True
    return False


def _emit(ctx: Context, subject: str, relation: str, raw: str) -> None:
    if relation == "name" and subject != USER:  # "my sister's name is Lin"
        if value := _clean(raw, relation):
            ctx.name_relative(subject, value)
        return
    listed = split_values(relation, _CUT_KEEP_COMMA.split(raw, maxsplit=1)[0], _LIST)
    for item in listed if len(listed) > 1 else [raw]:
        item = _clean(item, relation)
        if item and item.lower() not in _VOID:
            ctx.add(subject, relation, item)


_JOB_TAIL = {"works_as": re.compile(r"\s+(?:at|for|in|with)\s+", re.IGNORECASE),
             "works_at": re.compile(r"\s+as\s+", re.IGNORECASE)}


def _clean(raw: str, relation: str) -> str:
    cut = _CUT_KEEP_COMMA if relation == "birthday" else _CUT
    value = cut.split(raw, maxsplit=1)[0].strip().rstrip(".")
    if relation in _JOB_TAIL:  # "a pharmacist at the hospital", "IBM as an engineer"
        value = _JOB_TAIL[relation].split(value, maxsplit=1)[0]
    if relation != "name":
        value = _ARTICLE.sub("", value)
    return value.strip()
