"""Which answer spans of an evidence sentence answer the question.

A span answers only from a clause that carries the question's focus (in "tickets 20 yuan, students
half price" 20 yuan is not the students' price), never when another clause makes the written value
relative ("one day earlier than the others"), and of several, the new value of a change, the one
with the most focus around it, the most specific; two equally good ones answer nothing by themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from difflib import SequenceMatcher

from agent.evidence_text import sentence_spans
from agent.focus import Text, numbers_present, term_credit
from agent.paraphrase import forms
from agent.question import AnswerType, Question
from agent.spans import AnswerSpan, spans
from graph.cjk import has_cjk

_CHANGED_TO = re.compile(r"(?:推迟到|提前到|改为|改到|改成|变为|调整为|升到|降到|搬到了?|迁到了?|搬进了?|"
                         r"达到了?|升至|增至|降至|增加到|减少到|"
                         r"moved to|postponed to|changed to|now|instead|"
                         r"(?:extend|increas|rais|reduc|cut|ris|grow|r[oi]se|fell|fall|dropp?)"
                         r"(?:e|ed|es|s|ing|n)? (?:\w+ )?to)\s*$", re.IGNORECASE)

_CHANGED_FROM = re.compile(r"(?:原定的?|原来的?|原先的?|从|由|\bfrom|\bwas|\bformerly|\boriginally)\s*$",
                           re.IGNORECASE)

_PEOPLE = frozenset("人名位")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:年|\b)")
_ASKED_UNIT = re.compile(r"(?:多少|几)(?:亿|万|千|百)?([\u4e00-\u9fff])")


def same_unit(question: Question, found: Sequence[AnswerSpan]) -> tuple[AnswerSpan, ...]:
    """Spans whose unit fits the one the question names ("多少名本科生" is not answered by "31个省",
    "多少亿斤" not by "1.52亿亩"); all of them when the question names none."""
    asked = _ASKED_UNIT.search(question.text)
    if not asked or asked.group(1) in "个钱":
        return tuple(found)
    unit = asked.group(1)

    def fits(span: AnswerSpan) -> bool:
        written = re.sub(r"^[\d.,，万亿千百]+", "", span.text).strip()
        if not written or not has_cjk(written):
            return True
        if unit in _PEOPLE:
            return written[0] in _PEOPLE
        return written[-1] == unit or written[0] == unit

    return tuple(s for s in found if fits(s))


def not_the_kind_asked(question: Question, found: Sequence[AnswerSpan]) -> tuple[AnswerSpan, ...]:
    """For a name, a person or a place: spans that are not the asked-for word itself ("卫冕冠军" does
    not answer "欧冠冠军是谁": it names the title, not its holder)."""
    key = question.key
    if question.answer_type not in ("name", "person", "place") or not key or not has_cjk(key):
        return tuple(found)
    return tuple(s for s in found if key not in s.text)

_DAYS_IN = {"day": 1, "week": 7, "month": 30, "year": 365, "天": 1, "日": 1, "周": 7, "星期": 7, "个月": 30,
            "月": 30, "年": 365}
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5,
                "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_LENGTH = re.compile(r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
                     r"(day|week|month|year)s?\b|"
                     r"(\d+|[一两二三四五六七八九十])\s*(个月|星期|天|周|年)(?![\d月])", re.IGNORECASE)


def _days(text: str) -> list[float]:
    """Lengths of time a text writes, in days ("within a month" and "within 30 days" are one length)."""
    found = []
    for m in _LENGTH.finditer(text):
        count, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        number = float(count) if count.isdigit() else _COUNT_WORDS.get(count.lower(), 0)
        found.append(number * _DAYS_IN[unit.lower()])
    return [d for d in found if d]

def outside_question(found: list[AnswerSpan], question: str) -> tuple[AnswerSpan, ...]:
    """Spans the question does not already contain (the answer is new information): neither the
    span itself nor, for a number or date, only numbers the question writes ("31 July 2000" does
    not answer "… before the election of 2000 born?")."""
    asked = question.lower()
    written = set(re.findall(r"\d+(?:\.\d+)?", asked.replace(",", "")))

    lengths = _days(question)

    def new(span: AnswerSpan) -> bool:
        numbers = re.findall(r"\d+(?:\.\d+)?", span.text.replace(",", ""))
        said = _days(span.text)
        repeats = len(numbers) > 1 and set(numbers) & written and not _dated_in(span, question)
        return span.text.lower() not in asked and not repeats \
            and not (said and any(abs(d - q) <= 0.1 * q for d in said for q in lengths))

    return tuple(s for s in found if new(s))

def _dated_in(span: AnswerSpan, question: str) -> bool:
    """A Chinese date in the year the question names ("2022年6月3日" for "中超2022赛季开赛时间"): its
    month and day are the answer."""
    return has_cjk(question) and bool(re.fullmatch(r"(?:19|20)\d\d年\d{1,2}月(?:\d{1,2}[日号])?", span.text))

def spans_by_sentence(text: str, kind: AnswerType) -> list[AnswerSpan]:
    """Spans of each sentence of ``text`` (a name never runs across two sentences); for a name, no
    dates ("Thursday 19 June" is no hotel)."""
    found = [AnswerSpan(s.text, piece.start + s.start, piece.start + s.end)
             for piece in sentence_spans(text) for s in spans(piece.text, kind)]
    if kind in ("name", "place", "person"):
        found = [s for s in found if not spans(s.text, "date")]
    return found

_LISTED = re.compile(r"\s(?:and|or)\s|[和与及或]", re.IGNORECASE)
_LIST_END = re.compile(r"\s*,?\s*(?:and|or|&)\s*|\s*[和与及或]\s*", re.IGNORECASE)

def address_heads(question: Question, sentence: str,
                  found: tuple[AnswerSpan, ...]) -> tuple[AnswerSpan, ...]:
    """A name followed by more names after commas is one thing and where it is ("The Gull & Lantern,
    Harbour Row, Kelsey Bay"): for "which hotel" the first names it; for "where" the run is the place."""
    if question.answer_type not in ("name", "place") or len(found) < 2:
        return found
    ordered = sorted(found, key=lambda s: s.start)
    runs: list[list[AnswerSpan]] = [[ordered[0]]]
    for span in ordered[1:]:
        between = sentence[runs[-1][-1].end:span.start]
        if re.fullmatch(r"\s*[,，]\s*", between):
            runs[-1].append(span)
        elif _LIST_END.fullmatch(between) and len(runs[-1]) > 1:
            runs[-1:] = [[s] for s in runs[-1]] + [[span]]  # "A, B and C": a list, not an address
        else:
            runs.append([span])
    runs = [r for run in runs for r in ([run] if not any(_LISTED.search(s.text) for s in run)
                                        else [[s] for s in run])]  # "Gull House, Anchor Inn and Rook Lodge"
    if question.answer_type != "place":
        return tuple(run[0] for run in runs)
    return tuple(run[0] if len(run) == 1 else AnswerSpan(sentence[run[0].start:run[-1].end], run[0].start,
                                                          run[-1].end) for run in runs)

def year_of(question: Question, sentence: str, span: AnswerSpan) -> int:
    """Of "2021年1078万，2022年1193万", 1 for the value after the year the question names, -1 after
    another year or a span of years ("2013年~2021年年均增长9.2%" is no figure of 2021), 0 when no
    year comes before it; a year compared against dates no change ("比2021年增长5%") but its own
    figure ("同比2022年总收入462.7亿元")."""
    if not any(_YEAR.fullmatch(n) for n in question.numbers):
        return 0
    before = [m for m in _YEAR.finditer(sentence[:span.start]) if m.group(1) not in span.text
              and not (_BASE_BEFORE.search(sentence[max(0, m.start() - 6):m.start()])
                       and _CHANGE.search(sentence[m.end():span.start]))]
    if not before:
        return 0
    last = before[-1]
    start = max(0, last.start() - 8)
    if _RANGE_BEFORE.search(sentence[start:last.start()]):  # a span of years: asked only if both ends are
        return 1 if all(y in question.numbers for y in _YEAR.findall(sentence[start:last.end()])) else -1
    return 1 if last.group(1) in question.numbers else -1

_BASE_BEFORE = re.compile(r"(?:比|较|同|than |from |over |since )$", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"(?:19|20)\d\d年?\s*(?:[~～—–-]|至|到|to|and)\s*$", re.IGNORECASE)
_RATE = re.compile(r"率|比例|百分|占比|份额|比重|增长|增速|增幅|涨|跌|降|升|提高|减少|增加|"
                   r"\bpercent|\bpercentage|\brate\b|\bshare\b|\bproportion|\bgrowth|\brise|\bfall|\bincrease|"
                   r"\bdecrease|\bdrop|\bgrew|\bgrow|\bfell|\bchange|\bdiscount|\boff\b", re.IGNORECASE)
_RATIO = re.compile(r"(?<!汇)率|比例|百分比|占比|比重|份额|\bpercentage|\bproportion|\b(?<!exchange )rate\b",
                    re.IGNORECASE)
_CHANGE = re.compile(r"增长|增加|提高|上升|下降|降低|减少|涨|跌|变化|增幅|降幅|"
                     r"\bchange|\brise|\bfall|\bincrease|\bdecrease|\bdrop|\bgrew|\bgrow|\bfell|"
                     r"\bup\b|\bdown\b", re.IGNORECASE)

# "在哪里举行": the place of an event is written after 在/于 ("在威斯敏斯特教堂举行")
_HAPPENS = frozenset(["举行", "举办", "召开", "开幕", "发生", "进行"])
_AT = re.compile(r"(?:在|于|赴|到|至)[^，。；,;]{0,4}$")

def fits_the_question(question: Question, sentence: str,
                      found: Sequence[AnswerSpan]) -> tuple[AnswerSpan, ...]:
    """Spans that can answer: for a year the question names, not a value of another year; for an
    amount ("票房是多少"), no percentage unless it asks a rate, no percentage points unless it asks a
    change."""
    kept = []
    venue = question.answer_type == "place" and question.key in _HAPPENS
    for span in found:
        if year_of(question, sentence, span) < 0:
            continue
        if venue and not _AT.search(sentence[max(0, span.start - 6):span.start]):
            continue  # "英国19日为女王举行国葬": who holds it, not where
        if question.answer_type == "number":
            if re.search(r"百分点|percentage points?", span.text) and not _CHANGE.search(question.text):
                continue
            if re.search(r"%|百分|percent", span.text) and not _RATE.search(question.text):
                continue
        kept.append(span)
    if question.answer_type == "number" and _RATIO.search(question.text):
        shares = [s for s in kept if re.search(r"%|百分|percent", s.text)]
        kept = shares or kept  # a growth rate is the 4.8%, not the 270178亿元 beside it
    if question.answer_type == "person" and question.language == "zh" and _done_to_only(question, sentence):
        return ()
    return tuple(kept)

def _done_to_only(question: Question, sentence: str) -> bool:
    """"谁枪击了安倍晋三" and the sentence says only "遭枪击的安倍晋三": who did it, it does not say."""
    key = question.key
    if not key or re.search(rf"(?:遭|遭到|受到|被|受){re.escape(key)}", question.text):
        return False
    said = [m for word in forms(key) for m in re.finditer(re.escape(word), sentence)]
    return bool(said) and all(re.search(r"(?:遭|遭到|受到|被|受)$", sentence[max(0, m.start() - 2):m.start()])
                              for m in said)

def same_value(a: str, b: str) -> bool:
    """Two short answers naming the same value ("1193万人" and "1193万", "2022" and "2022年")."""
    a, b = a.strip().lower(), b.strip().lower()
    shorter, longer = sorted((a, b), key=len)
    rest = longer[len(shorter):]
    return a == b or (bool(shorter) and longer.startswith(shorter) and not re.match(r"[\d.,]", rest)) \
        or _rounded_alike(a, b)


_AMOUNT = re.compile(r"(\d+(?:\.(\d+))?)\s*([^\d\s]*?)元?$")


def _rounded_alike(a: str, b: str) -> bool:
    """One amount is the other rounded ("60.4亿元" and "60.39亿"), in the same unit."""
    first, second = _AMOUNT.fullmatch(a.replace(",", "")), _AMOUNT.fullmatch(b.replace(",", ""))
    if not (first and second) or first.group(3) != second.group(3):
        return False
    places = min(len(first.group(2) or ""), len(second.group(2) or ""))
    return round(float(first.group(1)), places) == round(float(second.group(1)), places)


def precision(answer: str) -> int:
    """How many digits an answer gives: of amounts that agree, the most precise is told."""
    return len(re.findall(r"\d", answer))

def both_halves_have(found: tuple[AnswerSpan, ...], text: str) -> bool:
    halves = sentence_spans(text)
    return len(halves) >= 2 and all(any(h.start <= s.start < h.end for s in found) for h in halves[:2])

def half_has_numbers(question: Question, text: str, span: AnswerSpan) -> bool:
    """The sentence holding ``span`` writes the question's numbers (a year: the answer is that year's),
    or the date line it follows does ("Jul 22, 2022 ... 穆尔穆当选印度总统")."""
    dateline = _DATELINE.match(text)
    stamp = dateline.group() if dateline else ""
    return any(p.start <= span.start < p.end and numbers_present(question, f"{stamp} {p.text}")
               for p in sentence_spans(text))

_DATELINE = re.compile(r"^\s*(?:[A-Z][a-z]{2} \d{1,2}, (?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d)\s*(?:\.\.\.|…)")

CLAUSE = re.compile(r"[^,，;；]+")

def in_focus_clauses(question: Question, text: str,
                      found: tuple[AnswerSpan, ...]) -> tuple[AnswerSpan, ...]:
    """The spans whose clause carries a focus word or a name, in each sentence where some clause does:
    in "tickets 20 yuan, students half price" the 20 yuan is not the students' price."""
    if not found:
        return found
    kept = []
    for piece in sentence_spans(text):
        clauses = [(piece.start + m.start(), piece.start + m.end())
                   for m in CLAUSE.finditer(piece.text) if carries(question, Text.of(m.group()))]
        inside = [s for s in found if piece.start <= s.start < piece.end]
        local = [replace(s, start=s.start - piece.start) for s in inside]
        if _modified_elsewhere(question, piece.text, local):
            continue  # "tickets 20 yuan, students half price": the students' price is not written
        # "作为大会的举办地，哈尔滨…": a focus clause without a value names it as the next clause's subject
        subjects = [b + 1 for a, b in clauses if not any(a <= s.start < b for s in inside)
                    and _ends_with_focus(question, text[a:b])] if question.language == "zh" else []
        kept += [s for s in inside if not clauses or any(a <= s.start < b for a, b in clauses)
                 or s.start in subjects]
    return tuple(kept)

def _ends_with_focus(question: Question, clause: str) -> bool:
    tail = clause.rstrip()[-6:]
    return any(tail.endswith(word) for term in question.focus for word in forms(term))

_MODIFIER = re.compile(r"半价|免费|打折|[一二三四五六七八九\d]折|减半|加倍|另收|加收|优惠|"
                       r"\bhalf[- ]price\b|\bfree\b|\bdiscount|\breduced\b|\bextra\b|\bsurcharge\b",
                       re.IGNORECASE)

_RELATIVE = re.compile(r"\bthan\b|\bearlier\b|\blater\b|\bbefore the\b|\bafter the\b|"
                       r"比[^，,。；;]{0,12}?[早晚多少高低大小快慢长短]|早[一两三\d]|晚[一两三\d]|提前[一两三\d]|推后",
                       re.IGNORECASE)

# a change against an earlier period ("比上年增加320亿斤", "up 3% on last year") leaves the value absolute
_PERIOD_CHANGE = re.compile(r"比(?:上|去|前)(?:年|月|季度|周)|同比|环比|较(?:上|去)年|"
                            r"\b(?:than|on|from|over) (?:the )?(?:last|previous|prior) "
                            r"(?:year|month|quarter|week)\b|"
                            r"\byear[- ]on[- ]year\b", re.IGNORECASE)

def _modified_elsewhere(question: Question, sentence: str, inside: list[AnswerSpan]) -> bool:
    """A clause without the value holds a focus word and a modifier (half price, free, one day
    earlier than): the value asked for is derived from the written one, not written itself."""
    for match in CLAUSE.finditer(sentence):
        clause = match.group()
        if any(match.start() <= s.start < match.end() for s in inside):
            continue
        if _RELATIVE.search(clause) and not _PERIOD_CHANGE.search(clause):
            return True  # "on day 2, one day earlier than the other groups": a value relative to another
        if _MODIFIER.search(clause) and any(term_credit(t, Text.of(clause)) >= 0.85 for t in question.focus):
            return True
    return False

def carries(question: Question, text: Text) -> float:
    """How much of the focus (generic verbs half) and of the names a clause carries."""
    return (sum(term_credit(t, text) for t in question.focus if t)
            + 0.5 * sum(term_credit(t, text) for t in question.light if t)
            + sum(n.lower() in text.lowered for n in (*question.names, *question.numbers)))

def next_to_key(question: Question, sentence: str, found: Sequence[AnswerSpan]) -> bool:
    """The chosen span stands right beside the question's key word (or a word for it): "吉祥物“跑跑”",
    "the CTO, Oren Falk", "Oren Falk is CTO"."""
    span = best_span(question, sentence, found)
    if span is None or not question.key:
        return False
    reach = 2 if question.language == "zh" else 4
    lowered = sentence.lower()
    for word in forms(question.key):
        for m in re.finditer(re.escape(word.lower()), lowered):
            if 0 <= span.start - m.end() <= reach or 0 <= m.start() - span.end <= reach:
                return True
    return False

def best_span(question: Question, sentence: str, found: Sequence[AnswerSpan]) -> AnswerSpan | None:
    """Of several spans: the new value of a change, then the one whose clause carries the most of
    the focus, then the most specific (a date with digits). None when two are equally good: the
    quoted sentence then answers by itself ("81% of group B, 74% under white light, 62% ...")."""
    if len(found) == 1:
        return found[0]
    clauses = [(m.start(), m.end(), carries(question, Text.of(m.group())))
               for m in CLAUSE.finditer(sentence)]

    def around(span: AnswerSpan) -> float:
        return max((c for a, b, c in clauses if a <= span.start < b), default=0.0)

    def current(span: AnswerSpan) -> int:
        """The new value of a change ("postponed from 8 to 22 November"), not the old one."""
        before = sentence[max(0, span.start - 8):span.start]
        return int(bool(_CHANGED_TO.search(before))) - int(bool(_CHANGED_FROM.search(before)))

    def specific(span: AnswerSpan) -> int:
        return int(bool(re.search(r"\d", span.text))) if question.answer_type in ("date", "time") else 0

    def dated(span: AnswerSpan) -> int:
        return year_of(question, sentence, span)

    anchors = [m.end() for term in (*question.terms, *question.names) if term
               for m in re.finditer(re.escape(term.lower()), sentence.lower())]
    focus_anchors = [m.end() for term in (*question.focus, *question.names) if term
                     for m in re.finditer(re.escape(term.lower()), sentence.lower())]
    reach = 4 if question.language == "zh" else 25

    def bound(span: AnswerSpan) -> int:
        """A focus word or a name just before the span ("满意度为4.3分", "head office to ... Port Ellery")."""
        return int(any(0 <= span.start - a <= reach for a in anchors))

    def adjacent(span: AnswerSpan) -> int:
        """Right after a focus word ("总票房1.20亿"), not after other words ("清明档(4.3")."""
        return int(any(0 <= span.start - a <= (1 if question.language == "zh" else 4) for a in focus_anchors))

    ends = sorted(s.end for s in found)

    def led(span: AnswerSpan) -> tuple[int, int]:
        """In Chinese, the question's words written between the previous span and this one, within its
        clause, then the longest run of the question there: "冬奥会吉祥物“冰墩墩”和冬残奥会吉祥物“雪容融”"
        leads 冰墩墩 with 冬奥会吉祥物."""
        if question.language != "zh":
            return 0, 0
        clause = max((a for a, _, _ in clauses if a <= span.start), default=0)
        after = max((e for e in ends if e <= span.start), default=0)
        lead = sentence[max(clause, after):span.start].lower()
        asked = question.text.lower()
        words = sum(term.lower() in lead for term in (*question.focus, *question.names) if term)
        return words, SequenceMatcher(None, lead, asked, autojunk=False).find_longest_match(
            0, len(lead), 0, len(asked)).size

    def counted(span: AnswerSpan) -> int:
        """In Chinese, a count right before what the question counts: "44名运动员", not "23名女运动员"."""
        after = sentence[span.end:span.end + 8]
        return int(question.language == "zh" and any(after.startswith(t) for t in question.focus if t))

    def key(span: AnswerSpan) -> tuple[int, int, float, int, int, int, tuple[int, int], int]:
        return (dated(span), current(span), around(span), counted(span), bound(span), adjacent(span),
                led(span), specific(span))

    ranked = sorted(found, key=key, reverse=True)
    return None if key(ranked[0]) == key(ranked[1]) else ranked[0]
