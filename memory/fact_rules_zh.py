"""Chinese patterns for what users say about themselves and the people close to them."""

from __future__ import annotations

import re

from memory.fact_rules import Context, clauses, split_values
from memory.fact_vocab import RELATIVES_ZH, RETRACT, USER, favourite_relation

_REL = "|".join(sorted(map(re.escape, RELATIVES_ZH), key=len, reverse=True))
_ADVERBS = re.compile(r"^(?:现在|目前|已经|也|还|都|一直|刚刚|刚|正在|平时|很|特别|非常|真的|最近|今年|"
                      r"就|终于|总是|其实|本来|从小|最|挺|超|好)+")
_PAST = re.compile(r"^(?:以前|之前|过去|曾经|小时候)")
_FAVOURITE = "favourite"
_BORN = "born"

# (pattern after the subject, relation); the object is group "o". Order matters: the negated
# and the more specific patterns come first.
_PATTERNS = [(re.compile(p), r) for p, r in (
    (r"不再住在(?P<o>.+)", RETRACT + "lives_in"),
    (r"不住在(?P<o>.+?)了", RETRACT + "lives_in"),
    (r"不再在(?P<o>.+?)(?:工作|上班)", RETRACT + "works_at"),
    (r"不在(?P<o>.+?)(?:工作|上班)了", RETRACT + "works_at"),
    (r"从(?P<o>.+?)(?:辞职|离职)", RETRACT + "works_at"),
    (r"离开了(?P<o>.+)", RETRACT + "works_at"),
    (r"不再喜欢(?P<o>.+)", RETRACT + "likes"),
    (r"不喜欢(?P<o>.+?)了$", RETRACT + "likes"),
    (r"不再讨厌(?P<o>.+)", RETRACT + "dislikes"),
    (r"住在(?P<o>.+)", "lives_in"),
    (r"在(?P<o>.+?)住", "lives_in"),
    (r"搬(?:家)?(?:到|去|回)了?(?P<o>.+)", "lives_in"),
    (r"家在(?P<o>.+)", "lives_in"),
    (r"在(?P<o>.+?)(?:工作|上班)", "works_at"),
    (r"在(?P<o>.+?)(?:上学|读书|念书|上大学|读大学)", "studies_at"),
    (r"是(?P<o>[^,的一个]{1,8}?)人$", "hometown"),
    (r"来自(?P<o>.+)", "hometown"),
    (r"老家(?:是|在)(?P<o>.+)", "hometown"),
    (r"名字(?:是|叫)(?P<o>.+)", "name"),
    (r"(?:名叫|叫做|叫)(?!了)(?P<o>.+)", "name"),
    (r"生日(?:是|在)(?P<o>.+)", "birthday"),
    (r"最?喜欢的(?P<thing>.{1,4}?)是(?P<o>.+)", _FAVOURITE),
    (r"(?:工作|职业)是(?P<o>.+)", "works_as"),
    (r"是(?:一名|一个|一位|名|个)(?P<o>[^的]+)", "works_as"),
    (r"是做(?P<o>.+?)的", "works_as"),
    (r"(?:不喜欢|讨厌|恨|受不了)(?P<o>.+)", "dislikes"),
    (r"(?:喜欢|热爱|爱)(?P<o>.+)", "likes"),
    (r"对(?P<o>.+?)过敏", "allergic_to"),
    (r"会说(?P<o>.+)", "speaks"),
    (r"出生(?:在|于)(?P<o>.+)", _BORN),
    (r"(?P<o>\d{1,3})岁", "age"),
)]
_WORKS_AT_AS = re.compile(r"在(?P<at>.+?)当(?P<as>.+)")
_HAVE_RELATIVE = re.compile(rf"(?:有|养了?)(?:一个|一位|个|位|一只|只|一条|条)?(?P<rel>{_REL})"
                            rf"(?:叫做|名叫|叫)(?P<o>.+)")
_CUT = re.compile(r"[,;:!?()\"“”，]|因为|所以|但是|不过|而且|然后|并且|可是")
_TAIL = re.compile(r"(?:(?:\d+|[一二三四五六七八九十几两半]+)个?(?:年|月|天|周|星期)|了|啦|呢|吧|呀|哦|啊|"
                   r"的|去|来)+$")
_LIST = re.compile(r"[、,]|(?<=.)(?:和|跟|与|以及|还有|或者)(?=.)")
_VOID = frozenset({"你", "他", "她", "它", "你们", "他们", "她们", "我", "我们"})
_NOT_NAME_START = re.compile(r"^[的在住是叫也很就都还现已最喜不和跟有对会搬去来今刚一]")
_NAME = re.compile(r"[\u3400-\u9fff]{1,4}|[A-Za-z][\w-]*")
_CLAUSE_SEPARATOR = re.compile(r"(\s*[,，]\s*)")


def read_sentence_zh(sentence: str, ctx: Context) -> None:
    """Add to ``ctx.found`` every fact the patterns find in one Chinese sentence."""
    sentence = sentence.rstrip("。!?;；！？ ")
    for clause in clauses(sentence, _CLAUSE_SEPARATOR, lambda c: _starts_clause(c, ctx)):
        _read_clause(clause, ctx)


def _starts_clause(piece: str, ctx: Context) -> bool:
    return bool(piece.startswith(("我", "她", "他", "而且", "但是", "不过")) or ctx.person_at(piece)
                or _predicate(piece, USER, Context(), dry_run=True))


def _read_clause(clause: str, ctx: Context) -> None:
    clause = re.sub(r"^(?:而且|但是|不过|然后|所以|另外)", "", clause)
    subject, rest = _subject(clause, ctx)
    if subject is None:  # "……，在阿里巴巴工作": the last clause's subject goes on
        subject, rest = ctx.last_subject, clause
        if subject is None:
            return
    ctx.last_subject = subject
    _predicate(rest, subject, ctx)


def _subject(clause: str, ctx: Context) -> tuple[str | None, str]:
    if m := re.match(rf"我的?(?P<rel>{_REL})(?P<rest>.*)", clause):
        return _relative(m["rel"], m["rest"], ctx)
    if m := re.match(r"我(?!们)的?", clause):
        return USER, clause[m.end():]
    if m := re.match(r"(?P<who>她|他)(?!们)的?", clause):
        subject = ctx.pronoun("f" if m["who"] == "她" else "m")
        return (subject, clause[m.end():]) if subject else (None, clause)
    if found := ctx.person_at(clause):
        subject, end = found
        return subject, clause[end:].removeprefix("的")
    return None, clause


def _relative(noun: str, rest: str, ctx: Context) -> tuple[str, str]:
    """"我妹妹[林]……": the first reading (no name, or a name of one to four characters) whose
    rest parses."""
    relation, gender = RELATIVES_ZH[noun]
    unnamed = f"用户的{noun}"
    readings = [("", rest)]
    if not _NOT_NAME_START.match(rest) and (m := _NAME.match(rest)):
        readings += [(m.group()[:n], rest[n:]) for n in range(1, len(m.group()) + 1)]
    for name, after in readings:
        after = after.removeprefix("的")
        if _predicate(after, USER, Context(), dry_run=True):
            return ctx.relative(relation, gender, name or None, unnamed), after
    return ctx.relative(relation, gender, None, unnamed), rest.removeprefix("的")


def _predicate(rest: str, subject: str, ctx: Context, *, dry_run: bool = False) -> bool:
    if _PAST.match(rest):  # "我以前住在北京": not what holds now
        return False
    rest = _ADVERBS.sub("", rest)
    if m := _HAVE_RELATIVE.match(rest):
        relation, gender = RELATIVES_ZH[m["rel"]]
        if not dry_run and (name := _clean(m["o"])):
            if subject == USER:
                ctx.relative(relation, gender, name, "")
            else:
                ctx.add(subject, relation, name)
        return True
    if m := _WORKS_AT_AS.match(rest):  # "在医院当护士"
        if not dry_run:
            _emit(ctx, subject, "works_at", m["at"])
            _emit(ctx, subject, "works_as", m["as"])
        return True
    for pattern, relation in _PATTERNS:
        if m := pattern.match(rest):
            if not dry_run:
                _emit(ctx, subject, _relation(relation, m), m["o"])
            return True
    return False


def _relation(relation: str, m: re.Match[str]) -> str:
    if relation == _FAVOURITE:
        return favourite_relation(m["thing"])
    if relation == _BORN:  # "出生于1990年5月1日" is a date, "出生在杭州" a place
        return "birthday" if re.search(r"\d|月|日|号", m["o"]) else "born_in"
    return relation


def _emit(ctx: Context, subject: str, relation: str, raw: str) -> None:
    value = _clean(raw)
    if not value:
        return
    if relation == "name" and subject != USER:  # "我妹妹叫林"
        ctx.name_relative(subject, value)
        return
    for item in split_values(relation, value, _LIST):
        item = _clean(item)
        if item and item not in _VOID:
            ctx.add(subject, relation, item)


def _clean(raw: str) -> str:
    value = _CUT.split(raw, maxsplit=1)[0].strip()
    return _TAIL.sub("", value).strip() if len(value) > 1 else value
