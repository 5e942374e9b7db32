"""Chinese entities from jieba's part-of-speech tags, corrected by the words around them.

jieba's tags are a start: ``nr`` person, ``ns`` place, ``nt`` organisation. Its person tag is
often wrong (阿里巴巴 is ``nrt``, 高新区 and 车库里 are ``nr``) and it cuts unknown names apart
(韩 / 明远, 罗 / 文澜, 枫 / 澜市), so:
- a lone family-name character before a given name tagged as a name is one person (罗文澜), a
  character before a two-character town is one town (枫澜市);
- names joined to an organisation word are one organisation (星河 + 科技, 云岫 + 智能家居 + 有限公司);
  a building word makes a place (滨湖 + 大厦);
- a name right after a role (总经理是…, 创始人…) or before taking one (…改任董事长) is a person,
  put together from jieba's pieces, and every other place the text writes it too;
- a person needs a family name; a "name" after a count (一间车库里) or ending in an
  administrative word (高新区) is none;
- a quoted short name where the sentence speaks of products is a product.
Organisations by what follows them (成立于, 总部, 旗下, 员工) are typed in :mod:`graph.extract_typing`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from graph.extract import EntityCollector

Token = tuple[str, str, int]  # word, jieba flag, offset in the whole text

JIEBA_TYPES = {"nr": "person", "nrt": "person", "nrfg": "person", "ns": "place",
               "nt": "organization", "nz": "other"}
ORG_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "银行", "大学", "学院", "研究院",
                "研究所", "医院", "科技", "股份", "协会", "基金会", "实验室", "工作室", "事务所", "中心")
_BUILDINGS = ("大厦", "大楼", "广场", "机场", "车站", "火车站", "公园", "大桥", "码头")
_ADMINISTRATIVE = ("省", "市", "县", "区", "州", "镇", "乡", "村")
_WORK_VERBS = frozenset({"工作", "上班", "任职", "就职", "实习", "供职"})
_JOIN_VERBS = frozenset({"加入", "入职", "收购", "创办", "创立"})
_ROLES = frozenset({"总经理", "董事长", "创始人", "创办人", "总裁", "副总裁", "首席执行官", "首席技术官",
                    "总监", "经理", "主任", "院长", "校长", "行长", "厂长", "局长", "教授", "老师", "医生",
                    "律师"})
_TAKES_ROLE = frozenset({"担任", "改任", "出任", "任", "兼任", "升任", "接任"})
_ROLE_LINKS = frozenset({"是", "为", "由", "原"})
_NAMEISH = frozenset({"n", "nr", "nrt", "nrfg", "nz", "ns", "nt", "eng", "j", "nl", "ng"})
_NOT_NAMES = frozenset({"公司", "该公司", "本公司", "我们", "他们", "我", "产品", "员工", "总部"})
_NAME_START = frozenset({"nr", "ns", "j", "ng", "n", "nz", "m"})  # jieba's tags for a lone 罗, 许 (m), 枫
_STRONG_NAME = frozenset({"nr", "nrfg", "ns", "nt", "nz", "eng", "j"})
_GIVEN_NAME = frozenset({"nr", "nrfg", "nrt", "j", "ng"})
_NAME_LIKE = re.compile(r"^(?=.*[A-Z0-9])[A-Za-z][\w.+#-]*$")
_QUOTED = re.compile(r"[“「『\"]([^\W\d_]{2,6})[”」』\"]")
_PRODUCT_TALK = re.compile(r"产品|品牌|系列|型号|旗舰")
# Common Chinese family names: a person's name starts with one of these (or is a transliteration).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")


def looks_like_person(name: str) -> bool:
    """2-3 Chinese characters after a common family name (韩明远), or a title form (林小姐)."""
    return (2 <= len(name) <= 3 and name[0] in SURNAMES and not name.endswith(_ADMINISTRATIVE)) or (
        len(name) <= 4 and name[0] in SURNAMES and name.endswith(("先生", "小姐", "女士", "老师")))


def chinese_entities(tokens: list[Token], text: str, out: EntityCollector, *,
                     user_words: Mapping[str, str], min_concept_count: int) -> None:
    """Add the entities of one Chinese stretch of ``text`` (tokens from jieba, offsets in text)."""
    tokens = _rejoin_split_names(tokens)
    covered = _people_by_role(tokens, text, out)
    _quoted_products(tokens, text, out, covered)
    nouns = Counter(word for word, flag, _ in tokens if flag == "n" and len(word) >= 2)
    i = 0
    while i < len(tokens):
        word, _, offset = tokens[i]
        if any(s < offset + len(word) and offset < e for s, e in covered):
            i += 1
            continue
        compound = None if word in user_words else _compound(tokens, i)
        if compound is not None:
            name, type_, end_index = compound
            out.add(name, type_, offset, offset + len(name), sure=True)
            i = end_index
            continue
        type_ = user_words.get(word) or _tagged_type(tokens, i, nouns, min_concept_count)
        if type_:
            out.add(word, type_, offset, offset + len(word), sure=word in user_words)
        i += 1


def _rejoin_split_names(tokens: list[Token]) -> list[Token]:
    """Names jieba cut after their first character: a family name and a given name tagged as a
    name (罗 + 文澜 -> 罗文澜, 许 + 嘉禾 -> 许嘉禾), a character and a town (枫 + 澜市 -> 枫澜市)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        word, flag, offset = tokens[i]
        if i + 1 < len(tokens) and len(word) == 1 and flag in _NAME_START and _adjacent(tokens, i):
            after, after_flag, _ = tokens[i + 1]
            if word in SURNAMES and after_flag in _GIVEN_NAME and len(after) <= 2:
                out.append((word + after, "nr", offset))
                i += 2
                continue
            if len(after) == 2 and (after_flag == "ns" or flag in ("ns", "nr", "j")) and after.endswith(
                    _ADMINISTRATIVE):
                out.append((word + after, "ns", offset))
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


def _adjacent(tokens: list[Token], i: int) -> bool:
    """Token i+1 starts right where token i ends (no space between)."""
    return tokens[i][2] + len(tokens[i][0]) == tokens[i + 1][2]


def _compound(tokens: list[Token], i: int) -> tuple[str, str, int] | None:
    """(name, type, index after it) for names joined to an organisation or building word:
    星河 + 科技 (+ 公司) -> 星河科技, 云岫 + 智能家居 + 有限公司 -> the whole, 滨湖 + 大厦 -> 滨湖大厦."""
    word, flag, _offset = tokens[i]
    if flag not in _NAMEISH or word in _NOT_NAMES or word.endswith(ORG_SUFFIXES + _BUILDINGS):
        return None
    if flag == "ns" and word.endswith(_ADMINISTRATIVE):
        return None  # 临江市 + 滨湖大厦: the town stays a place of its own
    j = i
    while j + 1 < len(tokens) and j - i < 3 and _adjacent(tokens, j):
        after = tokens[j + 1][0]
        if (after in ORG_SUFFIXES + _BUILDINGS or after.endswith(("有限公司", "集团"))) and any(
                t[1] not in _STRONG_NAME for t in tokens[i:j]):
            return None  # only name-tagged words reach further back (not 二叔 + 特地 + 从云岫 + 公司)
        if after in ORG_SUFFIXES or after.endswith(("有限公司", "集团")):
            k = j + 1
            while k + 1 < len(tokens) and _adjacent(tokens, k) and tokens[k + 1][0] in ORG_SUFFIXES:
                k += 1
            parts = [t[0] for t in tokens[i:k + 1]]
            if parts[-1] == "公司" and len(parts) > 1:  # 腾讯公司 -> 腾讯, as the text mostly says it
                parts.pop()
            return "".join(parts), "organization", k + 1
        if after in _BUILDINGS:
            return "".join(t[0] for t in tokens[i:j + 2]), "place", j + 2
        if tokens[j + 1][1] not in _NAMEISH or after in _NOT_NAMES:
            return None
        j += 1
    return None


def _tagged_type(tokens: list[Token], i: int, nouns: Counter[str], min_concept_count: int) -> str | None:
    word, flag, _ = tokens[i]
    if len(word) < 2:
        return None
    before = tokens[i - 1] if i > 0 else ("", "", 0)
    after = tokens[i + 1][0] if i + 1 < len(tokens) else ""
    if flag == "eng":
        type_ = "other" if _NAME_LIKE.match(word) else None
    elif flag == "n":
        return "concept" if nouns[word] >= min_concept_count else None
    elif flag.startswith("nr") and word.endswith(_ADMINISTRATIVE) and len(word) >= 3:
        return "place"  # 高新区
    elif flag.startswith("nr") and before[1] in ("m", "q", "mq"):
        return None  # after a count (一间车库里): no one's name
    elif flag == "nr" and not looks_like_person(word):
        return "concept"  # no family name: a word jieba's dictionary mistags (公司简介)
    else:
        type_ = JIEBA_TYPES.get(flag)
    if type_ in ("person", "other") and (after.startswith(ORG_SUFFIXES) or before[0] in _JOIN_VERBS
                                         or (before[0] in ("在", "于") and after in _WORK_VERBS)):
        return "organization"
    return type_


def _people_by_role(tokens: list[Token], text: str, out: EntityCollector) -> list[tuple[int, int]]:
    """People named next to a role (总经理是韩明远, 创始人方知远, 方知远改任董事长), put together from
    jieba's pieces; each is added wherever the text writes it. Returns the spans taken."""
    names: set[str] = set()
    for i, (word, _, _) in enumerate(tokens):
        if word in _ROLES:
            j = i + 1
            while j < len(tokens) and tokens[j][0] in _ROLE_LINKS:
                j += 1
            name = _name_from(tokens, j, forward=True)
            if name:
                names.add(name)
        if word in _TAKES_ROLE and i > 0:
            name = _name_from(tokens, i - 1, forward=False)
            if name:
                names.add(name)
    spans: list[tuple[int, int]] = []
    start_of = tokens[0][2] if tokens else 0
    end_of = tokens[-1][2] + len(tokens[-1][0]) if tokens else 0
    for name in sorted(names, key=len, reverse=True):
        for match in re.finditer(re.escape(name), text[start_of:end_of]):
            s, e = start_of + match.start(), start_of + match.end()
            if not any(a < e and s < b for a, b in spans):
                out.add(name, "person", s, e, sure=True)
                spans.append((s, e))
    return spans


def _name_from(tokens: list[Token], j: int, *, forward: bool) -> str | None:
    """A 2-3 character person name made of one or two tokens starting (forward) or ending at j."""
    if not 0 <= j < len(tokens):
        return None
    first = tokens[j]
    if first[1] in ("x", "uj", "p", "c", "v") or first[0] in _ROLES:
        return None
    if (len(first[0]) >= 2 and first[1] == "nr") or len(first[0]) == 3:
        return first[0] if looks_like_person(first[0]) else None
    other = j + 1 if forward else j - 1
    if not 0 <= other < len(tokens):
        return None
    pair = (first, tokens[other]) if forward else (tokens[other], first)
    if not _adjacent(tokens, min(j, other)) or any(t[1] in ("x", "uj", "p", "c") for t in pair):
        return None
    name = pair[0][0] + pair[1][0]
    return name if 2 <= len(name) <= 3 and looks_like_person(name) else None


def _quoted_products(tokens: list[Token], text: str, out: EntityCollector,
                     covered: list[tuple[int, int]]) -> None:
    """“岫灯”, “岫锁”: short quoted names in a sentence about products."""
    if not tokens:
        return
    start, end = tokens[0][2], tokens[-1][2] + len(tokens[-1][0])
    for sentence in re.finditer(r"[^。！？!?\n]+", text[start:end]):
        if not _PRODUCT_TALK.search(sentence.group()):
            continue
        for match in _QUOTED.finditer(sentence.group()):
            s = start + sentence.start() + match.start(1)
            e = s + len(match.group(1))
            out.add(match.group(1), "product", s, e, sure=True)
            covered.append((s, e))
