"""What a question asks for: the expected answer type, its focus words and the names it is about.

"When was Kestrel Loom founded?" asks for a date (``answer_type``), about the name "Kestrel
Loom" (``names``), and its focus is "founded": the words an evidence sentence must carry
for a date in it to be the answer ("In 2023 it employed 340 people" holds a date but not
the focus). English and Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.claim_terms import EN_STOPWORDS, en_entities, stem, zh_entities, zh_words
from graph.cjk import has_cjk

AnswerType = Literal["person", "place", "date", "time", "number", "money", "percent", "duration",
                     "distance", "volume", "mass", "phone", "colour", "name", "thing", "yesno"]

# (pattern, type), first match wins; checked on the lower-cased question.
_EN_TYPES: tuple[tuple[str, AnswerType], ...] = (
    (r"\bwhat (?:phone |telephone )?number\b|\bphone number\b|\bwhich number\b", "phone"),
    (r"\bwhat percentage\b|\bwhat percent\b|\bwhat share\b|\bwhat proportion\b|\bwhat fraction\b", "percent"),
    (r"\bwhat time\b|\bat what hour\b", "time"),
    (r"\bhow much (?:money|does it cost|do(?:es)? .* cost|is the (?:price|fee|fare|ticket))|\bcost\b|"
     r"\bprice\b|\bfee\b|\bfare\b|\bhow much .* (?:pay|charge|spend)\b", "money"),
    (r"\bhow much .*\bweigh|\bweight\b|\bhow heavy\b", "mass"),
    (r"\bhow much (?:water|liquid|fuel|milk|oil)\b|\bcapacity\b|\bvolume\b", "volume"),
    (r"\bhow (?:far|tall|high|deep|wide)\b|\bdistance\b|\bwhat (?:depth|height|length|width|altitude)\b|"
     r"\bhow long is the (?:walk|route|trail|road|bridge)\b",
     "distance"),
    (r"\bhow long\b|\bfor how many (?:days|hours|weeks|months|years)\b|\bduration\b", "duration"),
    (r"\bhow (?:many|much|old)\b|\bwhat (?:is|was) the (?:number|total|amount|budget|population|score)\b|"
     r"\bbudget\b|\bhow many\b", "number"),
    (r"\b(?:which|what) (?:\w+ )?colou?r\b", "colour"),
    (r"\bwhen\b|\bwhat (?:date|day|year|month)\b|\bwhich (?:date|day|year|month)\b|\bin what year\b|"
     r"\bon what date\b|\bsince when\b", "date"),
    (r"\bwho(?:m|se)?\b|\bwhich (?:person|man|woman|employee|member|engineer|scientist|doctor|teacher|"
     r"student|researcher|colleague|manager)\b", "person"),
    (r"\bwhere\b|\bwhich (?:town|city|country|village|place|island|region|state|province|street|station|"
     r"district|county|port|building|room|address)\b|\b(?:in |from )?what (?:town|city|country|place|state|"
     r"region|province|island|county)\b", "place"),
    (r"\bwhich (?:hotel|inn|guesthouse|company|firm|business|product|brand|restaurant|cafe|café|shop|store|"
     r"app|model|book|film|movie|song|album|ship|boat|team|school|university|college|street|road|train|"
     r"flight|bus|airline|bank|museum|club|band|project|newspaper|magazine|website|organi[sz]ation)\b|"
     r"\bwhat (?:is the name|name)\b|\bwhat is (?:it|she|he) called\b|\bwhat (?:hotel|company|product|"
     r"restaurant|shop|app|model|book|film|train|flight)\b", "name"),
    (r"^(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b", "yesno"),
)
_ZH_TYPES: tuple[tuple[str, AnswerType], ...] = (
    (r"电话|号码", "phone"),
    (r"什么颜色|哪(?:种|个|一种)?颜色|什么色", "colour"),
    (r"百分之几|百分比|比例|占比|几成", "percent"),
    (r"几点|什么时间(?:开|关|出发|到|起飞|发车)|几时", "time"),
    (r"多少钱|价格|票价|费用|花多少|几块|几元|收费|售价|报价|多贵", "money"),
    (r"多重|重量|几斤|几公斤|多少斤|多少公斤|多少克", "mass"),
    (r"容量|多少升|几升|多大(?:的)?水箱", "volume"),
    (r"多远|距离|多高|多深|多宽|多少公里|几公里|多少米|多长(?!时间)", "distance"),
    (r"多长时间|多久|(?:几|多少)(?:天|个小时|小时|周|个月|年(?!级)|分钟)", "duration"),
    (r"多少|几[个位名人次家块张条件本只枚届场座分岁]|多大|数量|人数|"
     # a search-style phrase naming an amount ("2022年8月我国汽车出口量")
     r"(?:量|总数|金额|总额|票房|产量|销量|营收|收入|规模|增速|增长率|比例|人次|震级|海拔|面积|气温|排名)\s*[？?]?\s*$",
     "number"),
    (r"什么时候|何时|哪天|哪一天|哪日|哪年|哪一年|几月|几号|日期|时间|哪个月", "date"),
    (r"谁|哪位|哪个人|哪些人|(?:导演|作者|主演|得主|获得者|创始人|创办人|负责人|总经理|董事长|主席|"
     r"总统|总理|首相|发言人|主教练|教练|队长|主持人|编剧|歌手|演唱者|"
     r"设计师|发明人|发明者|获奖者|扮演者|金牌|银牌|铜牌)(?:是)?\s*[？?]?\s*$", "person"),
    (r"哪里|哪儿|在哪|何处|何地|地点|哪个(?:城市|镇|县|区|村|省|国家|站|地方)|哪一站|哪座城|哪个站", "place"),
    (r"哪[个家款趟种件本部条一]|什么名字|叫什么|(?:冠军|得主|奖)\s*[？?]?\s*$", "name"),
    (r"(?:吗|(?<!什)么)\s*[？?]?\s*$|是否|是不是|有没有|能不能|可不可以", "yesno"),
)

# a part of the year the question asks about (一季度, 上半年): the answer must be that period's
_ZH_PERIOD = re.compile(r"季度|半年")
# Words that only say what is asked (never focus words).
_EN_ASKING = frozenset(
    [
        "who", "whom", "whose", "what", "when", "where", "which", "why", "how", "many", "much",
        "long", "far", "old", "time", "date", "day", "year", "month", "name", "number", "called",
        "percentage", "percent", "share", "proportion", "tall", "high", "deep", "wide", "heavy",
        "weigh", "weight", "distance", "price", "cost", "fee", "fare", "amount", "total",
        "exactly", "kind", "type", "today", "now", "currently", "current", "presently", "latest",
        "still", "these", "days", "nowadays", "colour", "color"
    ])
# Words that ask for the value as it is now (prefer "the current CTO" to "served as CTO until 2021").
_NOW = re.compile(r"\b(?:today|now|currently|current|presently|these days|nowadays|still)\b|"
                  r"现在|目前|如今|当前|现任|还", re.IGNORECASE)
_ZH_ASKING = frozenset(
    [
        "什么", "什么时候", "时候", "何时", "哪天", "哪一天", "哪年", "哪一年", "几月", "几号",
        "日期", "时间", "谁", "哪位", "哪里", "哪儿", "在哪", "何处", "哪个", "哪些", "哪家",
        "哪款", "哪趟", "哪种", "哪一站", "多少", "几", "几个", "多少钱", "价格", "多久", "多长",
        "多远", "是否", "是不是", "有没有", "叫", "叫什么", "名字", "请问", "一下", "告诉", "知道",
        "具体", "现在", "目前", "吗", "呢", "一共", "总共", "大概", "应该", "哪座", "多大", "几点",
        "几分", "钱", "多少钱", "几天", "多久", "数量", "数目", "总数", "颜色"
    ])
# Generic verbs that a sentence of the expected kind answers without repeating them
# ("How much water does the tank hold?" -> "a 4.2-litre water tank").
_LIGHT_VERBS = frozenset([
    *(stem(w) for w in [
        "hold", "have", "has", "get", "take", "make", "do", "does", "use", "keep", "contain",
        "come", "go", "give", "put", "need", "call"
    ]),
    *[
        "定", "定在", "设在", "设", "位于", "在", "是", "有", "打", "叫", "用", "做", "搞", "办",
        "去", "到", "要", "花", "得", "给"
    ],
    # qualifiers that pick one of several values; the sentence need not repeat them
    *(stem(w) for w in ["first", "last", "next", "previous", "final", "second", "third"]),
    *["头", "第一", "最后", "首", "末", "前", "后"],
])


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    language: Literal["en", "zh"]
    answer_type: AnswerType
    focus: tuple[str, ...]  # content words (English stems, Chinese words) that are neither asking nor names
    light: tuple[str, ...]  # focus words that are generic verbs: they count half
    names: tuple[str, ...]  # named things the question is about
    numbers: tuple[str, ...] = ()  # numbers written in the question (a year, an edition): the answer's too
    now: bool = False  # asks for the value as it is now
    label: str = ""  # the kind of label asked for, when the answer is one ("哪个组" -> 组: "E组")

    @property
    def periods(self) -> tuple[str, ...]:
        """The parts of a year the question names (一季度, 上半年): an answering sentence names them too."""
        return tuple(t for t in self.focus if _ZH_PERIOD.search(t))

    @property
    def key(self) -> str:
        """The focus word that names what is asked, which an answering sentence must itself carry:
        in English the first one after the question word ("Who *produced* the single that …"), in
        Chinese the last one before it (topic first: "青石河下游采样点的*溶解氧*有多少")."""
        if not self.focus:
            return ""
        if self.language == "zh":
            return self.focus[-1]
        asked = None if _WH_START.match(self.text) else _IN_SITU.search(self.text)
        if asked:  # "… a soap opera created by who?": the word just before the question word
            before = [stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'-]*", self.text[:asked.start()])]
            return next((w for w in reversed(before) if w in self.focus), self.focus[0])
        return self.focus[0]

    @property
    def terms(self) -> tuple[str, ...]:
        return self.focus + self.light


_WH_START = re.compile(r"^\W*(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|"
                       r"can|could|has|have|had|will|would|should|in|on|at|from|for|by|of|to|if)\b",
                       re.IGNORECASE)
_IN_SITU = re.compile(r"\b(?:who|whom|whose|what|which|when|where|how)\b(?!.*\b(?:who|whom|whose|what|which|"
                      r"when|where|how)\b)", re.IGNORECASE)


def _asked_part(text: str) -> str:
    """Where an English question that opens as a statement asks ("Kate Ramsay is a character …
    created by who?"): from its last question word on; the whole text otherwise."""
    if has_cjk(text) or _WH_START.match(text):
        return text
    asked = _IN_SITU.search(text)
    return text[asked.start():] if asked else text


def answer_type(text: str) -> AnswerType:
    """The kind of answer a question expects ("thing" when nothing more specific is asked)."""
    lowered = _asked_part(text).lower().strip()
    rules = _ZH_TYPES if has_cjk(text) else _EN_TYPES
    for pattern, kind in rules:
        if re.search(pattern, lowered):
            return kind
    if has_cjk(text):  # mixed: "Aerolux H3 的保修期多长？"
        for pattern, kind in _EN_TYPES:
            if re.search(pattern, lowered):
                return kind
    return "name" if _label(text) else "thing"  # "which gate": a label such as "Gate 12"


def analyse(text: str) -> Question:
    """The question's expected answer type, focus words and names."""
    if has_cjk(text):
        names = _zh_names(text)
        focus = list(dict.fromkeys(_zh_focus(text, names) + [c for c in _ZH_COUNT.findall(text)
                                                             if not any(c in n for n in names)]))
        light = tuple(w for w in focus if w in _LIGHT_VERBS or len(w) == 1)
        return Question(text, "zh", answer_type(text), tuple(w for w in focus if w not in light), light,
                        tuple(n for n in names if not _NUMBER.fullmatch(n)), _numbers(text),
                        bool(_NOW.search(text)), _label(text))
    names = [n for n in en_entities(text) if n.lower() not in _EN_ASKING]
    name_words = {stem(w.strip("-'’")) for name in names for w in re.findall(r"[\w'’-]+", name)}
    name_words |= _class_nouns(text)
    focus, light = [], []
    for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", text):
        word = word.strip("-'’")
        lowered = word.lower()
        if word.isdigit():
            continue
        if lowered in EN_STOPWORDS or lowered in _EN_ASKING or len(word) < 2:
            continue
        token = stem(word)
        if token in name_words or token in focus or token in light:
            continue
        (light if token in _LIGHT_VERBS else focus).append(token)
    return Question(text, "en", answer_type(text), tuple(focus), tuple(light),
                    tuple(n for n in names if not _NUMBER.fullmatch(n)), _numbers(text),
                    bool(_NOW.search(text)), _label(text))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# a count the question names restricts the answer ("头两晚住在哪": the place of the two nights)
_ZH_COUNT = re.compile(r"(?<![第几多])[一二两三四五六七八九十]+(?:个)?"
                       r"(?:晚上|晚|夜|天|周|星期|小时|次|场|间|人)")
_ASKED_CLASS = re.compile(r"\b(?:which|what)\s+([a-z]+)\b", re.IGNORECASE)
_RELATIVE_CLASS = re.compile(r"\b([a-z]+)\s+(?:where|that|which|who|whose|whom)\b", re.IGNORECASE)


def _class_nouns(text: str) -> set[str]:
    """Nouns that name a kind rather than a topic: the kind of answer asked for ("which town") when
    the answer type says it already, and the kind of a thing described by a clause ("the company
    where Tobias interned"): a sentence that answers need not repeat them."""
    found = set()
    for match in _ASKED_CLASS.finditer(text):
        if answer_type(f"which {match.group(1)}") in ("place", "name", "person"):
            found.add(stem(match.group(1)))
    found |= {stem(m.group(1)) for m in _RELATIVE_CLASS.finditer(text)
              if m.group(1).lower() not in _EN_ASKING}
    return found


# nouns whose instances are told apart by a letter or a number ("E组", "3号", "Gate 12"), not a name
_ZH_LABEL = re.compile(r"哪(?:个|一个|一)?(组|号|站台|层|班|届|期|排|栋|单元)")
_EN_LABEL = re.compile(r"\b(?:which|what)\s+(group|gate|platform|floor|level|zone|terminal|ward|block|seat|"
                       r"row|track|bay)\b", re.IGNORECASE)


# what the question ends by asking about is a role, not a name
# ("冬奥会吉祥物叫什么": jieba tags 吉祥物 as a name)
_ASKED_ROLE = r"(?:是|叫|为)(?:什么|谁|哪里|哪儿)(?:名字)?[呢啊]?\s*[？?]?\s*$"


def _label(text: str) -> str:
    """The label noun a question asks for: 哪个组 -> 组 ("E组"), which gate -> gate ("Gate 12")."""
    found = _ZH_LABEL.search(text) or _EN_LABEL.search(text)
    return found.group(1).lower() if found else ""


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group().replace(",", "") for m in _NUMBER.finditer(text)))


def _zh_topic(text: str) -> str:
    """The nouns a Chinese question opens with, up to its first 的 ("星河科技的总部在哪里" -> 星河科技)."""
    words = []
    for word, flag in zh_words(text):
        if word == "的":
            return "".join(words) if len(words) > 1 or len("".join(words)) >= 3 else ""
        if not (flag.startswith("n") or flag == "eng") or word in _ZH_ASKING:
            return ""
        words.append(word)
    return ""


def _zh_names(text: str) -> list[str]:
    names = [n for n in zh_entities(text) if n not in _ZH_ASKING
             and not re.search(rf"(?:哪个|哪一个|哪座|哪家|哪|什么){re.escape(n)}", text)
             and not re.search(rf"{re.escape(n)}{_ASKED_ROLE}", text)]
    topic = _zh_topic(text)
    if topic:
        names = [topic, *(n for n in names if n not in topic)]
    names += re.findall(r"[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Z][A-Za-z0-9-]*)*", text)
    return list(dict.fromkeys(n for n in names if n.strip()))


def _zh_focus(text: str, names: list[str]) -> list[str]:
    # the kind of answer asked for ("哪个城市", "哪一站") is the answer type, not a focus word
    kinds = {m.group(1) for m in re.finditer(r"(?:哪个|哪一个|哪座|哪家|哪)([\u4e00-\u9fff]{1,2})", text)}
    focus: list[str] = []
    for word, flag in zh_words(text):
        word = word.strip()
        if (not word or word in _ZH_ASKING or word in kinds or any(word in name for name in names)
                or not has_cjk(word)
                or (flag in ("m", "mq", "q", "r", "u", "uj", "ul", "y", "p", "c", "d", "x")
                    and not _ZH_PERIOD.search(word))):
            continue
        if word in focus or re.fullmatch(r"[的了吗呢啊是在有和与及就都也还又要会能]", word):
            continue
        focus.append(word)
    return focus
