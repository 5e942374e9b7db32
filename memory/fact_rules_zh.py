"""Chinese patterns for what users say about themselves and the people close to them."""

from __future__ import annotations

import re

from memory.fact_rules import Context, clauses, split_values
from memory.fact_rules_never import plans_zh, statement_zh
from memory.fact_vocab import RELATIVES_ZH, RETRACT, USER, favourite_relation, is_occupation_zh, number_value

_REL = "|".join(sorted(map(re.escape, RELATIVES_ZH), key=len, reverse=True))
# Words that may stand before a relative noun: "大学室友", "高中同学", "新同事", "小妹".
_MOD = (r"(?:大学|高中|初中|小学|中学|研究生|博士|同班|同宿舍的?|新来的|新|最好的|好|亲|双胞胎|"
        r"大|二|三|小|老)??")
_ADVERBS = re.compile(r"^(?:现在|目前|已经|也|还|都|一直|刚刚|刚|正在|平时|很|特别|非常|真的|最近|今年|"
                      r"就|终于|总是|其实|本来|从小|最|挺|超|好|依然|仍然|早就|才)+")
_PAST = re.compile(r"^(?:以前|之前|过去|曾经|小时候|原来|从前|当初)")
# A time before the predicate: a future one means a plan; after a past one only an event that
# still holds counts ("去年搬到了杭州", "去年开始在华为上班"), not a state ("去年住在杭州").
_WHEN = re.compile(
    r"^(?:(?P<future>明年|后年|明天|后天|下个?月|下个?(?:星期|礼拜)|下周|以后|将来|未来|过几天|过些天|"
    r"过段时间|改天|年底|月底|不久以?后|马上|很快|快要|即将)"
    r"|(?P<past>去年|前年|上个?月|上个?(?:星期|礼拜)|上周|前几天|前些天|前天|昨天|昨晚|前阵子|前段时间|"
    r"前些日子|那年|当年|刚才|\d{4}年|[\d一二三四五六七八九十两几半]+个?多?(?:年|月|天|周|星期|礼拜)(?:前|以前|之前))"
    r"|(?:现在|目前|如今|这几年|这些年|近几年|近年来|平时|平常|每天|周末|夏天|冬天|春天|秋天|晚上|早上|"
    r"白天|一般|通常|最近|今年|这个月|这周|这段时间))[，,\s]*")
_EVENT = re.compile(r"^(?:搬|开始|入职|跳槽|换工作|换到|出生|生于|嫁到|嫁给)")
_FAVOURITE = "favourite"
_BORN = "born"
_JOB = "job"  # works_as when the noun is a job: "是一名护士", not "是一个好人"
_PLACES = ("lives_in", "works_at", "studies_at")
_MEASURE = re.compile(r"^[一这那](?:家|个|所|间|座)(?=..)")
_FOOD_VERB = re.compile(r"^[吃喝](?=.)")  # "喜欢吃杨桃": the user likes 杨桃

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
    (r"(?:换工作|跳槽|转职)(?:到|去)了?(?P<o>.+?)(?:工作|上班)?$", "works_at"),
    (r"(?:换|调)到了?(?P<o>.+?)(?:工作|上班)$", "works_at"),
    (r"入职了?(?P<o>.+)", "works_at"),
    (r"在(?P<o>.+?)(?:工作|上班)", "works_at"),
    (r"在(?P<o>.+?)(?:上学|读书|念书|上大学|读大学)", "studies_at"),
    (r"是(?:一名|一个|一位|名|个|位)?(?P<o>(?![我你他她它好坏很挺真一个名位])[^的]{1,10})$", _JOB),
    (r"是(?P<o>[^,的一个]{1,8}?)人$", "hometown"),
    (r"来自(?P<o>.+)", "hometown"),
    (r"老家(?:是|在)(?P<o>.+)", "hometown"),
    (r"(?:把)?名字(?:是|叫|改成|改为|改叫)了?(?P<o>.+)", "name"),
    (r"改名(?:叫|为|成)了?(?P<o>.+)", "name"),
    (r"(?:名叫|叫做|叫)(?!了)(?P<o>.+)", "name"),
    (r"生日(?:是|在)(?P<o>.+)", "birthday"),
    (r"最?喜欢的(?P<thing>.{1,4}?)是(?P<o>.+)", _FAVOURITE),
    (r"(?:工作|职业)是(?P<o>.+)", "works_as"),
    (r"是做(?P<o>.+?)的", "works_as"),
    (r"爱好是(?P<o>.+)", "likes"),
    (r"(?:不喜欢|讨厌|恨|受不了)(?P<o>.+)", "dislikes"),
    (r"(?:喜欢|热爱|爱)(?P<o>.+)", "likes"),
    (r"对(?P<o>.+?)过敏", "allergic_to"),
    (r"会说(?P<o>.+)", "speaks"),
    (r"出生(?:在|于)(?P<o>.+)", _BORN),
    (r"(?P<o>\d{1,3}|[零一二两三四五六七八九十]{1,3})岁", "age"),
)]
_WORKS_AT_AS = re.compile(r"在(?P<at>.+?)当(?P<as>.+)")
_HAVE_RELATIVE = re.compile(rf"(?:有|养了?)(?:一个|一位|个|位|一只|只|一条|条)?{_MOD}(?P<rel>{_REL})"
                            rf"(?:叫做|名叫|叫)(?P<o>.+)")
_MY_RELATIVE = re.compile(rf"是我的?{_MOD}(?P<rel>{_REL})$")  # "林是我的好朋友"
_CUT = re.compile(r"[,;:!?()\"“”，]|因为|所以|但是|不过|而且|然后|并且|可是")
_TAIL = re.compile(r"(?:(?:\d+|[一二三四五六七八九十几两半]+)个?(?:年|月|天|周|星期)|了|啦|呢|吧|呀|哦|啊|"
                   r"的|去|来)+$")
_LIST = re.compile(r"[、,]|(?<=.)(?:和|跟|与|以及|还有|或者)(?=.)")
_VOID = frozenset({"你", "他", "她", "它", "你们", "他们", "她们", "我", "我们"})
_NOT_NAME_START = re.compile(r"^[的在住是叫也很就都还现已最喜不和跟有对会搬去来今刚一们儿夫媳]")
_FULL_NOUN = {"哥": "哥哥", "姐": "姐姐", "弟": "弟弟", "妹": "妹妹"}  # "用户的哥哥", not "用户的哥"
_NAME = re.compile(r"[\u3400-\u9fff]{1,4}|[A-Za-z][\w-]*")
_CLAUSE_SEPARATOR = re.compile(r"(\s*[,，]\s*)")


def read_sentence_zh(sentence: str, ctx: Context) -> None:
    """Add to ``ctx.found`` every fact the patterns find in one Chinese sentence."""
    when = ""  # a clause that is only a time ("下个月，") belongs to the next one
    for clause in clauses(statement_zh(sentence), _CLAUSE_SEPARATOR, lambda c: _starts_clause(c, ctx)):
        if (m := _WHEN.match(clause)) and m.end() == len(clause):
            when += clause
            continue
        _read_clause(when + clause, ctx)
        when = ""


def _starts_clause(piece: str, ctx: Context) -> bool:
    piece = _when(piece)[1]
    return bool(piece.startswith(("我", "她", "他", "而且", "但是", "不过")) or ctx.person_at(piece)
                or _predicate(piece, USER, Context(), dry_run=True))


def _when(text: str) -> tuple[str, str]:
    """(the times that open ``text``, the rest)."""
    end = 0
    while m := _WHEN.match(text[end:]):
        end += m.end()
    return text[:end], text[end:]


def _read_clause(clause: str, ctx: Context) -> None:
    clause = re.sub(r"^(?:而且|但是|不过|然后|所以|另外)", "", clause)
    when, clause = _when(clause)  # "去年我搬到了杭州": the time goes with the predicate
    subject, rest = _subject(clause, ctx)
    if subject is None:  # "……，在阿里巴巴工作": the last clause's subject goes on
        subject, rest = ctx.last_subject, clause
        if subject is None:
            return
    ctx.last_subject = subject
    _predicate(when + rest, subject, ctx)


def _subject(clause: str, ctx: Context) -> tuple[str | None, str]:
    if m := re.match(rf"我的?{_MOD}(?P<rel>{_REL})(?P<rest>.*)", clause):
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


_NAME_THEN_ADVERB = re.compile(r"(?:也|还|都|就|已经|现在|今年|刚|正在)")


def _relative(noun: str, rest: str, ctx: Context) -> tuple[str, str]:
    """"我妹妹[林]……": the first reading (no name, or a name of one to four characters) whose
    rest parses."""
    relation, gender = RELATIVES_ZH[noun]
    unnamed = f"用户的{_FULL_NOUN.get(noun, noun)}"
    readings = [("", rest)]
    if not _NOT_NAME_START.match(rest) and (m := _NAME.match(rest)):
        readings += [(m.group()[:n], rest[n:]) for n in range(1, len(m.group()) + 1)]
    for name, after in readings:
        after = after.removeprefix("的")
        if _predicate(after, USER, Context(), dry_run=True):
            return ctx.relative(relation, gender, name or None, unnamed), after
    for name, after in readings[1:]:  # "我同学方晓也在那边": a name, then an adverb
        if len(name) in (2, 3) and _NAME_THEN_ADVERB.match(after):
            return ctx.relative(relation, gender, name, unnamed), after
    return ctx.relative(relation, gender, None, unnamed), rest.removeprefix("的")


def _predicate(rest: str, subject: str, ctx: Context, *, dry_run: bool = False) -> bool:
    rest = _present(rest)
    if rest is None:
        return False
    if m := _HAVE_RELATIVE.match(rest):
        relation, gender = RELATIVES_ZH[m["rel"]]
        if not dry_run and (name := _clean(m["o"])):
            if subject == USER:
                ctx.relative(relation, gender, name, "")
            else:
                ctx.add(subject, relation, name)
        return True
    if m := _MY_RELATIVE.match(rest):
        if subject == USER or subject.startswith("用户的"):
            return False
        if not dry_run:
            ctx.relative(*RELATIVES_ZH[m["rel"]], subject, "")
        return True
    if m := _WORKS_AT_AS.match(rest):  # "在医院当护士"
        if not dry_run:
            _emit(ctx, subject, "works_at", m["at"])
            _emit(ctx, subject, "works_as", m["as"])
        return True
    for pattern, relation in _PATTERNS:
        if (m := pattern.match(rest)) and (relation != _JOB or is_occupation_zh(_clean(m["o"]))):
            if not dry_run:
                _emit(ctx, subject, _relation(relation, m), m["o"])
            return True
    return False


def _present(rest: str) -> str | None:
    """The predicate without its adverbs and times, or None when it is not about now: the past
    ("以前住在北京"), a plan or a wish ("下个月要搬到", "想搬到")."""
    if _PAST.match(rest):
        return None
    past = False
    rest = _ADVERBS.sub("", rest)
    while m := _WHEN.match(rest):
        if m["future"]:
            return None
        past = past or bool(m["past"])
        rest = _ADVERBS.sub("", rest[m.end():])
    if plans_zh(rest) or (past and not _EVENT.match(rest)):
        return None
    return rest.removeprefix("开始")


def _relation(relation: str, m: re.Match[str]) -> str:
    if relation == _FAVOURITE:
        return favourite_relation(m["thing"])
    if relation == _BORN:  # "出生于1990年5月1日" is a date, "出生在杭州" a place
        return "birthday" if re.search(r"\d|月|日|号", m["o"]) else "born_in"
    if relation == _JOB:
        return "works_as"
    return relation


def _emit(ctx: Context, subject: str, relation: str, raw: str) -> None:
    value = _clean(raw)
    if not value:
        return
    if relation == "name" and subject != USER:  # "我妹妹叫林"
        ctx.name_relative(subject, value)
        return
    if relation == "age":  # "五岁" -> 5
        value = number_value(value) or ""
    elif relation in _PLACES:  # "一家创业公司" -> "创业公司"
        value = _MEASURE.sub("", value)
    for item in split_values(relation, value, _LIST):
        item = _clean(item)
        if relation.removeprefix(RETRACT) in ("likes", "dislikes"):
            item = _FOOD_VERB.sub("", item)
        if item and item not in _VOID:
            ctx.add(subject, relation, item)


def _clean(raw: str) -> str:
    value = _CUT.split(raw, maxsplit=1)[0].strip()
    return _TAIL.sub("", value).strip() if len(value) > 1 else value
