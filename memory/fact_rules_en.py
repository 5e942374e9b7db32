"""English patterns for what users say about themselves and the people close to them."""

from __future__ import annotations

import re

from memory.fact_rules import Context, clauses, split_values
from memory.fact_vocab import RELATIVES_EN, RETRACT, USER, favourite_relation, word_set

_CONTRACTIONS = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"\bi'm\b", "I am"), (r"\bi've\b", "I have"), (r"\bi'd\b", "I would"),
    (r"\b(she|he)'s\b", r"\1 is"), (r"\bdon't\b", "do not"), (r"\bdoesn't\b", "does not"),
    (r"\bcan't\b", "cannot"), (r"\bwon't\b", "will not"), (r"\bisn't\b", "is not"))]
_REL = "|".join(sorted(map(re.escape, RELATIVES_EN), key=len, reverse=True))
_FILLER = re.compile(r"^(?:(?:well|so|oh|ok|okay|actually|also|and|but|btw|by the way|anyway|yes|yeah|"
                     r"now|today|yesterday|recently|guess what|fun fact|fyi)\b[\s,]*)+", re.IGNORECASE)
_AUX = re.compile(r"^(?:(?:am|is|are|have|has|do|does|will|just|also|still|now|currently|recently|"
                  r"really|actually|already|finally|even|happily)\s+)+", re.IGNORECASE)
_NEGATION = re.compile(r"^(?:not|no longer)\s+", re.IGNORECASE)
_ANYMORE = re.compile(r"\bany ?more\b|\bno longer\b", re.IGNORECASE)

# (pattern after the subject, relation); the object is group "o".
_PREDICATES = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"(?:live|lives|living|reside|resides|residing|stay|stays|staying) in (?P<o>.+)", "lives_in"),
    (r"(?:moved|move|moving|relocated|relocating) (?:back )?to (?P<o>.+)", "lives_in"),
    (r"(?:work|works|working) (?:at|for) (?P<o>.+)", "works_at"),
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
    (r"married to (?P<o>.+)", "has_spouse"),
    (r"(?P<o>\d{1,3}) years? old\b.*", "age"),
    (r"(?:quit|left) (?:my job |his job |her job )?(?:at |with )?(?P<o>.+)", RETRACT + "works_at"),
)]
_HAVE_RELATIVE = re.compile(rf"(?:got )?(?:a|an|one) (?P<rel>{_REL}) (?:named|called) (?P<o>.+)",
                            re.IGNORECASE)
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
    r"when|while|if|until|for (?:\d+|a|an|the|many|several|some|a few) (?:years?|months?|weeks?|days?)|"
    r"now|these days|right now|at the moment|any ?more|as well|too|last (?:year|month|week)|"
    r"this (?:year|month|week)|recently|in \d{4}|(?:\d+|a|an|two|three|a few|several) "
    r"(?:years?|months?|weeks?|days?) ago|yesterday|today|already|again)\b", re.IGNORECASE)
# The same without the comma: for lists ("cats, dogs and birds") and dates ("May 1, 1990").
_CUT_KEEP_COMMA = re.compile(_CUT.pattern.replace("(?:,|", "(?:", 1), re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|the city of)\s+", re.IGNORECASE)
_VOID = word_set("it that this them him her you me everything nothing something anything")
_LIST = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_][\w.-]*")
_NOT_NAMES = word_set("""who which that and but also now still currently really actually just is was
has have had does do did will would lives live works work moved likes loves never always""")
_CLAUSE_SEPARATOR = re.compile(r"(\s*[,;]\s*(?:and\s+|but\s+|so\s+)?|\s+(?:and|but|so)\s+)", re.IGNORECASE)


def read_sentence_en(sentence: str, ctx: Context) -> None:
    """Add to ``ctx.found`` every fact the patterns find in one English sentence."""
    for pattern, replacement in _CONTRACTIONS:
        sentence = pattern.sub(replacement, sentence)
    for clause in clauses(sentence.rstrip(".!?"), _CLAUSE_SEPARATOR, lambda c: _starts_clause(c, ctx)):
        _read_clause(_FILLER.sub("", clause), ctx)


def _starts_clause(piece: str, ctx: Context) -> bool:
    piece = _FILLER.sub("", piece)
    return bool(re.match(r"(?:i|my|she|he|her|his)\b", piece, re.IGNORECASE) or ctx.person_at(piece)
                or _predicate(piece, USER, Context(), dry_run=True))


def _read_clause(clause: str, ctx: Context) -> None:
    subject, rest, possessive = _subject(clause, ctx)
    if subject is None:  # "... and works at Alibaba": the last clause's subject goes on
        subject, rest, possessive = ctx.last_subject, clause, False
        if subject is None:
            return
    ctx.last_subject = subject
    if possessive:
        _possessive(rest, subject, ctx)
    else:
        _predicate(rest, subject, ctx)


def _subject(clause: str, ctx: Context) -> tuple[str | None, str, bool]:
    """(subject, the rest of the clause, whether the subject was possessive: "my", "her")."""
    if m := re.match(r"i\s+", clause, re.IGNORECASE):
        return USER, clause[m.end():], False
    if m := re.match(rf"my\s+(?P<rel>{_REL})\b(?P<rest>.*)", clause, re.IGNORECASE):
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
    return None, clause, False


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
        if not _NAME_WORD.fullmatch(core) or core.lower() in _NOT_NAMES:
            return
        after = ("'s " if core != word else "") + " ".join(tokens[n:])
        yield " ".join([*tokens[: n - 1], core]), after.lstrip(" ,")
        if core != word or tokens[n - 1].endswith(","):
            return


def _predicate(clause: str, subject: str, ctx: Context, *, dry_run: bool = False) -> bool:
    rest = _AUX.sub("", clause)
    negated = bool(_NEGATION.match(rest))
    rest = _AUX.sub("", _NEGATION.sub("", rest))
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


def _clean(raw: str, relation: str) -> str:
    cut = _CUT_KEEP_COMMA if relation == "birthday" else _CUT
    value = cut.split(raw, maxsplit=1)[0].strip().rstrip(".")
    if relation != "name":
        value = _ARTICLE.sub("", value)
    return value.strip()
