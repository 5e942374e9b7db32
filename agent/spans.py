"""Answer spans of an expected type in one sentence: dates, times, numbers with their units,
phone numbers, people, places and names, English (rules + spaCy's entities) and Chinese
(rules + jieba's parts of speech)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agent.claim_terms import en_entities, zh_words
from agent.question import AnswerType
from graph.cjk import has_cjk

_ZH_NUM = "零〇○一二两三四五六七八九十百千万亿"
_EN_NUMBER_WORDS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "dozen"
]
_NUM = rf"(?:\d+(?:[,，]\d{{3}})*(?:\.\d+)?(?:万|亿)?|[{_ZH_NUM}]+|\b(?:{'|'.join(_EN_NUMBER_WORDS)})\b)"

_UNITS: dict[str, str] = {}
for kind, words in {
    "money": "euro euros dollar dollars pound pounds yuan rmb usd eur gbp "
             "元 块 块钱 万元 美元 欧元 英镑 人民币",
    "percent": "% percent per-cent 百分点 个百分点",
    "duration": "second seconds minute minutes min mins hour hours hr hrs h day days week weeks month months "
                "year years 秒 秒钟 分钟 小时 个小时 天 周 星期 个月 年",
    "distance": "mm cm m km kilometre kilometres kilometer kilometers metre metres meter meters mile miles "
                "foot feet ft inch inches 毫米 厘米 米 公里 千米 里",
    "volume": "ml l litre litres liter liters gallon gallons 毫升 升",
    "mass": "mg g kg gram grams kilogram kilograms kilo kilos tonne tonnes ton tons lb lbs "
            "毫克 克 千克 公斤 斤 吨",
}.items():
    for word in words.split():
        _UNITS[word.replace("-", " ")] = kind
_EN_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS if not has_cjk(u)), key=len, reverse=True))
_ZH_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS if has_cjk(u)), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?P<pre>[€$£¥])?\s?(?P<num>{_NUM})(?:\s?(?:-|–)?\s?(?P<unit>(?:{_EN_UNIT})\b|{_ZH_UNIT}|"
    rf"%|[个位名人次家块张条件本只枚届场座分岁户所项台辆份亩套篇部首艘架栋层间倍]|[A-Za-z]+(?:/[A-Za-z]+)?|[\u4e00-\u9fff]{{1,3}}/[\u4e00-\u9fff]{{1,2}}))?"
    rf"(?:\s?(?P<per>/\s?(?:[A-Za-z]+|[\u4e00-\u9fff]{{1,2}})))?",
    re.IGNORECASE)
_PERCENT_ZH = re.compile(rf"百分之[{_ZH_NUM}\d.]+")

_EN_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
             r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_DATES = (
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_EN_MONTH}(?:,?\s+\d{{4}})?"),
    re.compile(rf"\b{_EN_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"),
    re.compile(rf"\b{_EN_MONTH}\s+\d{{4}}\b"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b(?:1[0-9]|20)\d{2}\b(?![-,.]?\d)"),
    re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    re.compile(r"\b(?:day|week|month)\s+(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b",
               re.IGNORECASE),
    re.compile(rf"(?:[\d{_ZH_NUM}]{{2,4}}\s*年\s*)?[\d{_ZH_NUM}]{{1,3}}\s*月\s*[\d{_ZH_NUM}]{{1,3}}\s*[日号]"),
    re.compile(rf"[\d{_ZH_NUM}]{{2,4}}\s*年(?:\s*[\d{_ZH_NUM}]{{1,3}}\s*月)?"),
    re.compile(r"(?:除夕|春节|元旦|清明节?|端午节?|中秋节?|国庆节?|元宵节?|(?:上|下|这)?(?:周|星期|礼拜)[一二三四五六日天])"),
    re.compile(rf"第\s*[\d{_ZH_NUM}]+\s*天"),
)
_TIMES = (
    re.compile(r"\b\d{1,2}[:.]\d{2}(?:\s?[ap]\.?m\.?)?\b", re.IGNORECASE),
    re.compile(r"\b\d{1,2}\s?[ap]\.?m\.?\b", re.IGNORECASE),
    re.compile(r"\b(?:half past|quarter past|quarter to)\s+\w+\b|\bnoon\b|\bmidnight\b", re.IGNORECASE),
    re.compile(rf"(?:凌晨|清晨|早上|上午|中午|下午|傍晚|晚上|夜里)?[\d{_ZH_NUM}]{{1,3}}\s*[点時时](?:半|[\d{_ZH_NUM}]{{1,2}}分?)?"),
)
_PHONE = re.compile(r"(?<![\d-])(?:\+?\d[\d ()-]{5,}\d)(?![\d-])")
_ZH_PLACE_END = re.compile(r"(?:市|镇|县|区|村|站|山庄|山居|峰|路|街|巷|大厦|大楼|楼|居|酒店|宾馆|客栈|"
                           r"公园|广场|岛|港|湖|"
                           r"寺|馆|中心|小区|乡|省|州|城)$")
_ZH_SURNAMES = [
    "欧阳", "司马", "上官", "诸葛", "东方", "慕容", "夏侯", "皇甫", "尉迟", "公孙", "令狐", "宇文",
    "长孙", "司徒", "端木", "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
    "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程",
    "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
    "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱",
    "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "葛", "骆", "柳", "温", "殷", "庞", "章", "俞",
    "倪", "严", "宁", "洪", "施", "裴", "鲁", "祝", "符", "蒙", "凌", "霍", "乔", "穆", "萧", "柯",
    "岳", "欧", "聂", "晏", "甘", "卓", "谷", "牛", "单", "左", "齐", "项", "季", "关", "苗", "闵",
    "商", "阮", "翁", "车", "卫", "伍", "焦", "巫", "桂", "查"
]
_SINGLE_SURNAMES = frozenset(s for s in _ZH_SURNAMES if len(s) == 1)
_ZH_NAME = re.compile(r"(?:(?<=[是由为和与及、，,：:（(请让给被找叫长理师员任者人\s—-])|^)"
                      rf"(?:{'|'.join(_ZH_SURNAMES)})"
                      r"[\u4e00-\u9fff]{1,2}?(?=[，,。；;：:、）)\s!！?？]|$|是|的|在|和|与|负|审|说|主|担|来|去|已|将|会|也|都|把|被|"
                      r"提|带|签|写|做|接|确|跟|向|对|给|等|先|今|昨|明|上|下|当|获|表|称)")
_ZH_NAME_FLAGS = ("nr", "nrfg", "nrt")
_ZH_PLACE_FLAGS = ("ns",)
_ZH_PROPER_FLAGS = ("nz", "nt", "ns", "nr", "nrfg", "nrt", "eng")
_SPACY_PERSON = ("PERSON",)
_SPACY_PLACE = ("GPE", "LOC", "FAC")
_SPACY_NAME = ("ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "FAC", "GPE", "LOC", "PERSON", "NORP", "LAW")
_NUMERIC_TYPES = ("number", "money", "percent", "duration", "distance", "volume", "mass")


@dataclass(frozen=True, slots=True)
class AnswerSpan:
    text: str
    start: int
    end: int


def spans(sentence: str, kind: AnswerType) -> list[AnswerSpan]:
    """Candidate answers of ``kind`` in ``sentence``, in order of appearance."""
    if kind in _NUMERIC_TYPES:
        found = _quantities(sentence, kind)
    elif kind == "date":
        found = _matches(sentence, _DATES)
    elif kind == "time":
        found = _matches(sentence, _TIMES)
    elif kind == "colour":
        found = _matches(sentence, (_COLOUR,))
    elif kind == "phone":
        found = [s for s in _matches(sentence, (_PHONE,)) if sum(c.isdigit() for c in s.text) >= 7]
    elif kind == "person":
        found = _people(sentence)
    elif kind == "place":
        found = _places(sentence)
    elif kind == "name":
        found = _names(sentence)
    else:
        found = []
    return _distinct(found)


def labelled(sentence: str, label: str) -> list[AnswerSpan]:
    """Labels of the kind ``label`` names: "E组", "第3组" for 组; "Gate 12", "Platform B" for gate."""
    if not label:
        return []
    if has_cjk(label):
        pattern = rf"(?:第)?[A-Za-z0-9{_ZH_NUM}甲乙丙丁]{{1,4}}{re.escape(label)}"
    else:
        pattern = rf"\b{re.escape(label)}\s+(?:[A-Z]\b|\d{{1,4}}[A-Z]?\b)"
    flags = 0 if has_cjk(label) else re.IGNORECASE
    return [AnswerSpan(m.group(), m.start(), m.end()) for m in re.finditer(pattern, sentence, flags)]


_COLOUR = re.compile(r"\b(?:red|orange|yellow|green|blue|purple|violet|pink|white|black|grey|gray|brown|gold|"
                     r"silver|amber|ultraviolet|infrared)\b|[红橙黄绿蓝紫粉白黑灰棕金银青](?:色|(?=光|灯))",
                     re.IGNORECASE)


def quoted_after(sentence: str, word: str) -> list[AnswerSpan]:
    """Names quoted right after ``word``: 吉祥物“雪容融”, 口号“一起向未来” (Chinese)."""
    if not word or not has_cjk(word):
        return []
    pattern = rf"{re.escape(word)}[“「\"]([^”」\"，。]{{1,12}})[”」\"]"
    return [AnswerSpan(m.group(1), m.start(1), m.end(1)) for m in re.finditer(pattern, sentence)]


def _matches(sentence: str, patterns: tuple[re.Pattern[str], ...]) -> list[AnswerSpan]:
    found = [AnswerSpan(m.group().strip(), m.start(), m.end())
             for p in patterns for m in p.finditer(sentence)]
    return [s for s in found if s.text]


def _distinct(found: list[AnswerSpan]) -> list[AnswerSpan]:
    """Longest first among overlapping spans, then in order of appearance."""
    kept: list[AnswerSpan] = []
    for span in sorted(found, key=lambda s: (-(s.end - s.start), s.start)):
        if not any(s.start < span.end and span.start < s.end for s in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def unit_kind(unit: str) -> str:
    return _UNITS.get(unit.lower().strip(), "count" if unit else "")


def _quantities(sentence: str, kind: AnswerType) -> list[AnswerSpan]:
    found = []
    for match in _QUANTITY.finditer(sentence):
        number = match.group("num")
        if not re.search(r"\d", number) and len(number) < 2 and number not in "十百千":
            continue  # a lone Chinese numeral character is mostly part of a word (一, 两)
        if re.fullmatch(r"0\d+", number):
            continue  # a code ("03"), not a quantity
        counted = (kind == "duration" and (match.group("unit") or "") in ("年", "个月", "天")
                   and not re.fullmatch(r"(?:1[0-9]|20)\d{2}", number)
                   and not re.match(r"\d", sentence[match.end():match.end() + 1]))  # "被判24年": years
        if (_is_date_like(sentence, match.start("num"), match.end("num")) and not counted) \
                or _inside_name(sentence, match.start("num")):
            continue
        unit = (match.group("unit") or "").strip()
        known = unit.lower() in _UNITS or has_cjk(unit) or unit == "%"
        end = (match.end("per") if match.group("per") else match.end("unit")) if known else match.end("num")
        unit_type = "money" if match.group("pre") else (unit_kind(unit) if known else "")
        if kind == "percent" and unit_type != "percent":
            continue
        if kind in ("money", "duration", "distance", "volume", "mass") and unit_type != kind:
            continue
        begin = match.start() if match.group("pre") else match.start("num")
        text = sentence[begin:end].strip()
        found.append(AnswerSpan(_with_people_word(sentence, text, end), begin, end))
    if kind in ("percent", "number"):
        found += [AnswerSpan(m.group(), m.start(), m.end()) for m in _PERCENT_ZH.finditer(sentence)]
    return found


def _inside_name(sentence: str, start: int) -> bool:
    """A number that is part of a name or code ("Marlin-7", "G2871", "E7")."""
    before = sentence[max(0, start - 2):start]
    return bool(re.search(r"[A-Za-z]-?$", before))


def _with_people_word(sentence: str, text: str, end: int) -> str:
    """"340" followed by "people" reads better as "340 people"."""
    follow = re.match(r"\s+([a-z]+)", sentence[end:])
    if follow and not has_cjk(text) and re.fullmatch(r"[\d,.]+", text) and follow.group(1) not in (
            "and", "or", "to", "in", "on", "at", "of", "the", "a", "by", "for", "from", "with"):
        return f"{text} {follow.group(1)}"
    return text


def _is_date_like(sentence: str, start: int, end: int) -> bool:
    """A year, a month or a day of a date, a time of day or a part of a phone number."""
    text = sentence[start:end]
    after, before = sentence[end:end + 2], sentence[max(0, start - 1):start]
    if re.fullmatch(r"(?:1[0-9]|20)\d{2}", text):
        unit = re.match(r"\s?-?([A-Za-z]+|%|万|亿|元|人|个|名|位)", sentence[end:end + 12])
        word = unit.group(1) if unit else ""
        return not (word and (word.lower() in _UNITS or has_cjk(word) or word == "%"
                              or word in ("people", "employees", "staff", "members", "units")))
    if re.match(r"\s?[年月日号点时]", after) or re.match(r"[:：]\d", after) or before in (":", "："):
        return True
    if re.search(rf"\b{_EN_MONTH}\s$", sentence[max(0, start - 12):start]) and re.fullmatch(r"\d{1,2}", text):
        return True  # "Sep 23, 2022"
    return bool(re.match(r" \d{3}", after) and re.fullmatch(r"\d{3,4}", text))


# ---- names --------------------------------------------------------------------------------------

_nlp: Any = None
_nlp_lock = threading.Lock()


@lru_cache(maxsize=8192)
def _spacy_entities(sentence: str) -> tuple[tuple[str, int, int, str], ...]:
    """spaCy's named entities (text, start, end, label); none when spaCy or its model is missing.
    Cached: the same evidence sentences come back question after question."""
    global _nlp
    with _nlp_lock:
        if _nlp is None:
            try:
                import spacy

                from graph.extract_fast import SPACY_MODEL

                _nlp = spacy.load(SPACY_MODEL, disable=["lemmatizer"])
            except (ImportError, OSError):
                _nlp = False
        nlp = _nlp
    if not nlp:
        return ()
    return tuple((e.text, e.start_char, e.end_char, e.label_) for e in nlp(sentence).ents)


def _capitalised(sentence: str) -> list[AnswerSpan]:
    found, cursor = [], 0
    for name in en_entities(sentence):
        start = sentence.find(name, cursor)
        if start >= 0:
            found.append(AnswerSpan(name, start, start + len(name)))
            cursor = start + len(name)
    return found


def _people(sentence: str) -> list[AnswerSpan]:
    if has_cjk(sentence):
        tagged = _with_last_character(sentence, _zh_words_with(sentence, _ZH_NAME_FLAGS, min_len=2))
        surnamed = [s for s in tagged if (s.text[:1] in _SINGLE_SURNAMES or s.text[:2] in _ZH_SURNAMES)
                    and not re.search(r"[般的地得们性式型化口]$", s.text)]
        return surnamed + _zh_people(sentence) + _transliterated(sentence)
    people = [AnswerSpan(t, s, e) for t, s, e, label in _spacy_entities(sentence) if label in _SPACY_PERSON]
    if people:
        return people
    return [s for s in _capitalised(sentence) if len(s.text.split()) >= 2]


# single characters jieba leaves after a name it cut short ("罗致|焕", "穆尔|穆"): no verb, particle,
# pronoun or number
_NAME_END_FLAGS = ("nz", "vg", "ng", "zg", "nr", "nrt", "j", "g")


def _with_last_character(sentence: str, names: list[AnswerSpan]) -> list[AnswerSpan]:
    """Two-character names with the name character jieba split off after them put back."""
    ends = {start: (word, flag) for word, flag, start, _ in _placed_words(sentence)}
    out = []
    for name in names:
        word, flag = ends.get(name.end, ("", ""))
        whole = len(name.text) == 2 and len(word) == 1 and has_cjk(word) and flag in _NAME_END_FLAGS
        out.append(AnswerSpan(name.text + word, name.start, name.end + 1) if whole else name)
    return out


_NAME_DOT = "·・•‧"
_NAME_PART_FLAGS = ("nr", "nrfg", "nrt", "ns", "n", "ng", "nz", "j", "eng")


def _transliterated(sentence: str) -> list[AnswerSpan]:
    """Foreign names written in Chinese with a middle dot (凯尔·内斯, 安东尼・阿尔巴内斯): the word
    before the first dot, then after each dot a word and the name-like words that follow it."""
    if not any(d in sentence for d in _NAME_DOT):
        return []
    words = _placed_words(sentence)
    found = []
    i = 0
    while i < len(words):
        word = words[i][0]
        if (word not in _NAME_DOT or i == 0 or i + 1 >= len(words)
                or not re.fullmatch(r"[\u4e00-\u9fff]{2,}", words[i - 1][0])):
            i += 1
            continue
        first = words[i - 1][2]
        end, i = words[i + 1][3], i + 2  # after a dot, any word: jieba cuts foreign names anyhow
        while i < len(words):
            word, flag, _, stop = words[i]
            if word in _NAME_DOT and i + 1 < len(words) and has_cjk(words[i + 1][0]):
                end, i = words[i + 1][3], i + 2
            elif flag in _NAME_PART_FLAGS and len(word) <= 3 and has_cjk(word):
                end, i = stop, i + 1
            else:
                break
        if has_cjk(sentence[end - 1]):
            found.append(AnswerSpan(sentence[first:end], first, end))
    return found


def _places(sentence: str) -> list[AnswerSpan]:
    if has_cjk(sentence):
        return _zh_places(sentence) + [s for s in _quoted(sentence) if _ZH_PLACE_END.search(s.text)]
    places = [AnswerSpan(t, s, e) for t, s, e, label in _spacy_entities(sentence)
              if label in _SPACY_PLACE or label == "ORG"]
    return places or _capitalised(sentence)


def _names(sentence: str) -> list[AnswerSpan]:
    if has_cjk(sentence):
        found = _zh_words_with(sentence, _ZH_PROPER_FLAGS, min_len=2)
        found += _quoted(sentence)
        found += [AnswerSpan(m.group(), m.start(), m.end())
                  for m in re.finditer(r"[A-Za-z]+\d+[A-Za-z\d]*|"
                                       r"[\u4e00-\u9fff]{1,6}(?:糖水|小吃|饭店|店|铺|摊)",
                                       sentence)]
        return found
    found = [AnswerSpan(t, s, e) for t, s, e, label in _spacy_entities(sentence) if label in _SPACY_NAME]
    found += _capitalised(sentence)
    found += [AnswerSpan(m.group(1), m.start(1), m.end(1))
              for m in re.finditer(r"[“\"]([^”\"]{1,40})[”\"]", sentence)]
    return found


def _quoted(sentence: str) -> list[AnswerSpan]:
    """Names in quotation marks or title marks (“听溪山居”, 《流浪地球2》)."""
    return [AnswerSpan(m.group(1), m.start(1), m.end(1))
            for m in re.finditer(r"[《“「\"]([^》”」\"]{1,30})[》”」\"]", sentence)]


def _zh_places(sentence: str) -> list[AnswerSpan]:
    """Place names jieba tags, and nouns ending like a place (市, 镇, 站, 大厦 ...), with the noun
    before them ("滨湖" + "大厦")."""
    found, previous = [], None
    for word, flag, start, cursor in _placed_words(sentence):
        if (flag in _ZH_PLACE_FLAGS and len(word) >= 2) or (_ZH_PLACE_END.search(word) and len(word) >= 2):
            found.append(AnswerSpan(word, start, cursor))
        if (_ZH_PLACE_END.search(word) and previous is not None and previous[1].startswith("n")
                and not re.search(r"[市省县区镇村州]$", previous[0])):
            found.append(AnswerSpan(sentence[previous[2]:cursor], previous[2], cursor))
        previous = (word, flag, start)
    return found


def _zh_people(sentence: str) -> list[AnswerSpan]:
    """Chinese personal names: a common surname and one or two characters, between boundaries."""
    return [AnswerSpan(m.group(), m.start(), m.end()) for m in _ZH_NAME.finditer(sentence)]


def _zh_words_with(sentence: str, flags: tuple[str, ...], *, min_len: int) -> list[AnswerSpan]:
    return [AnswerSpan(word, start, end) for word, flag, start, end in _placed_words(sentence)
            if flag in flags and len(word.strip()) >= min_len]


def _placed_words(sentence: str) -> list[tuple[str, str, int, int]]:
    """jieba's words of ``sentence`` with their tags and where each starts and ends in it."""
    placed, cursor = [], 0
    for word, flag in zh_words(sentence):
        start = sentence.find(word, cursor)
        if start < 0:
            continue
        cursor = start + len(word)
        placed.append((word, flag, start, cursor))
    return placed
