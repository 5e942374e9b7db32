"""What is never a fact: questions, requests, hypotheticals, wishes and plans, what others said.

``statement_en``/``statement_zh`` give the part of a sentence that may state facts: "" for a
question or a request, the words before an "if"/"如果" or a "he said"/"他说", without leading
chatter ("Big news:", "告诉你，"). ``plans_en``/``plans_zh`` tell a predicate about the future or
a wish ("want to live in", "打算搬到") from one about now.
"""

from __future__ import annotations

import re

from graph.cjk import has_cjk
from memory.fact_rules import sentences

_TIME_EN = (r"(?:last|this|earlier this) (?:year|month|week|summer|winter|spring|autumn|fall|weekend|"
            r"morning|afternoon|evening|night)|(?:on )?(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
            r"(?:in|since|back in) \d{4}|(?:\d+|a|an|one|two|three|four|five|six|a few|several|some) "
            r"(?:years?|months?|weeks?|days?) ago|these days|nowadays|lately|recently|today|yesterday|"
            r"now|currently|at the moment|so|then")
# Chatter that may open a sentence or a clause; what follows is read as if it came first.
FILLER_EN = re.compile(
    r"^(?:(?:well|oh|ok|okay|actually|also|and|but|btw|by the way|anyway|yes|yeah|hey|hi|hello|"
    r"guess what|fun fact|fyi|(?:big|good|great|some|bad|sad) news|(?:quick |small )?update|ps|p\.s\.|"
    r"as i (?:said|told you|mentioned)(?: before| earlier)?|like i (?:said|told you)|i told you(?: that)?|"
    r"just so you know(?: that)?|for the record|to be honest|honestly|in fact|incidentally|"
    r"speaking of which|you know|(?:please )?(?:remember|note|don't forget|do not forget)(?: that)?|"
    rf"{_TIME_EN})\b[\s,:;!.-]*)+", re.IGNORECASE)
_HEADER_EN = re.compile(r"^(?!(?:i|my)\b)[a-z][\w'-]*(?: [a-z][\w'-]*){0,2}\s*:\s+", re.IGNORECASE)
# A question opens with a question word, or with a verb before its subject ("Do I live ...",
# "Don't I ...", but not "Will lives in Leeds").
_QUESTION_EN = re.compile(
    r"^(?i:who|whom|whose|what|where|when|why|how|which)\b|^(?i:do|does|did|is|are|am|was|were|can|"
    r"could|would|should|will|shall|have|has|had|may|might|must|cannot)(?i:\s+not)?\s+(?:(?i:i|you|"
    r"he|she|it|we|they|my|your|his|her|our|their|the|there|this|that)\b|[A-Z])")
_REQUEST_EN = re.compile(
    r"^(?:please|kindly|tell me|tell us|show me|remind me|help me|let me know|let's|find|look up|"
    r"search|list|give me|explain|describe|check|guess)\b", re.IGNORECASE)
# Where a sentence stops stating facts: a condition, or someone else's words (or a guess).
_NOT_SAID_EN = re.compile(
    r"\b(?:if|unless|suppose|supposing|imagine|in case|assuming|pretend|hypothetically|"
    r"said|says|say|told|tells|claims?|claimed|thinks?|thought|believes?|believed|heard|hears|"
    r"mentioned|mentions|reckons?|according to|wrote|writes|insists?|insisted|swears?|swore|"
    r"guess|guessed|apparently|supposedly|rumou?red)\b", re.IGNORECASE)
# At the start of a predicate: not what holds now ("want to live in", "will move to").
_PLANS_EN = re.compile(
    r"^(?:(?:also|really|still|just|probably|definitely|maybe|perhaps|soon|eventually|not|never|"
    r"do not|does not)\s+)*(?:will|would|might|may|could|should|shall|must|ought|want|wants|wanted|"
    r"wanna|hope|hopes|hoping|hoped|wish|wishes|wished|plan|plans|planning|planned|intend|intends|"
    r"intending|(?:am|is|are) going to|going to|gonna|(?:am|is|are) about to|about to|(?:am|is|are) "
    r"thinking|thinking|considering|consider|dream|dreams|dreaming|used to|need to|needs to|"
    r"(?:have|has) to|would like|(?:am|is|are) planning)\b", re.IGNORECASE)
_FUTURE_EN = re.compile(
    r"\b(?:next (?:year|month|week|summer|winter|spring|autumn|fall|weekend|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday)|tomorrow|soon|someday|some day|one day|"
    r"in the future|later this (?:year|month|week)|in (?:a|an|\d+|two|three|four|five|six|a few|"
    r"several|some) (?:years?|months?|weeks?|days?)(?! ago))\b", re.IGNORECASE)

_FILLER_ZH = re.compile(
    r"^(?:(?:告诉你|跟你说|和你说|我跟你说过?|我和你说过?|我说过|我告诉过你|再说一遍|对了|顺便说一下|"
    r"顺便说一句|顺便提一下|顺便|话说|说真的|说实话|其实|另外|还有|你知道吗|你猜怎么着|你猜|猜猜看|"
    r"(?:请|麻烦你?)?(?:帮我)?记(?:住|得|一下|下|好)(?:了)?|哦|噢|嗯|啊|哎|诶|对|是的|没错|好吧|"
    r"好消息|坏消息|好的|那个)[\s,，:：!！、]*)+")
_HEADER_ZH = re.compile(r"^(?!我)[^\s,，:：]{1,6}[:：]\s*")
_QUESTION_END_ZH = re.compile(r"(?:吗|么|呢|[?？])$")
_QUESTION_ZH = re.compile(
    r"(?<![没不])(?:哪(?!怕|儿都|里都|都)|什么(?![都也])|谁(?![都也])|多少(?!有点)|(?<!不)怎么(?!也)|"
    r"为什么|为啥|多大|多久|几(?:岁|号|点|月几|口人|年级))|(.)[不没]\1")
_REQUEST_ZH = re.compile(r"^(?:请|麻烦|帮我|帮忙|告诉我|提醒我|你能|你可以|能不能|可不可以|能否|给我|"
                         r"查一下|查查|说说|讲讲|你知道|你记得|你还记得)")
_IF_ZH = re.compile(r"如果|假如|要是|假设|万一|如若|倘若|假使|哪怕|即使|就算|若是|只要|除非|"
                    r"[^，,]*的话")
_SAID_ZH = re.compile(r"(?<![会小能])(?:说过?|讲过?)(?![话明服法英中日德韩俄粤普汉])|提到|告诉(?:过)?我|"
                      r"觉得|认为|以为|相信|听说|据说|猜|估计|怀疑")
# At the start of a predicate (after adverbs): a wish or a plan, not what holds now.
PLANS_ZH = re.compile(r"^(?:想|要(?!是)|打算|准备|计划|希望|可能|也许|或许|大概|应该|将要|将会|将|"
                      r"会(?![说讲])|快要|即将|正打算|梦想|渴望|盼望)")


def statement_en(sentence: str) -> str:
    """The part of an English sentence that may state facts ("" for none)."""
    text = _strip_filler_en(sentence.strip())
    if not text or text.endswith("?") or _QUESTION_EN.match(text) or _REQUEST_EN.match(text):
        return ""
    if m := _NOT_SAID_EN.search(text):
        text = text[: m.start()]
    return text.strip()


def _strip_filler_en(text: str) -> str:
    while True:
        shorter = FILLER_EN.sub("", _HEADER_EN.sub("", text, count=1), count=1)
        if shorter == text:
            return text
        text = shorter


def plans_en(predicate: str) -> bool:
    """Whether an English predicate ("will move to", "want to live in") is a plan or a wish."""
    return bool(_PLANS_EN.match(predicate))


def future_en(clause: str) -> bool:
    """Whether an English clause is set in the future ("next month", "tomorrow")."""
    return bool(_FUTURE_EN.search(clause))


def statement_zh(sentence: str) -> str:
    """The part of a Chinese sentence that may state facts ("" for none)."""
    text = sentence.strip().rstrip("。!！;；.… ")
    while True:
        shorter = _FILLER_ZH.sub("", _HEADER_ZH.sub("", text, count=1), count=1)
        if shorter == text:
            break
        text = shorter
    if not text or _QUESTION_END_ZH.search(text) or _QUESTION_ZH.search(text) or _REQUEST_ZH.match(text):
        return ""
    for pattern in (_IF_ZH, _SAID_ZH):
        if m := pattern.search(text):
            text = text[: m.start()]
    return text.rstrip("，, ")


def plans_zh(predicate: str) -> bool:
    """Whether a Chinese predicate ("想搬到", "打算在……工作") is a plan or a wish."""
    return bool(PLANS_ZH.match(predicate))


def stated(text: str) -> str:
    """What ``text`` states, sentence by sentence: questions, requests, conditions and the like
    left out."""
    kept = ((statement_zh if has_cjk(s) else statement_en)(s) for s in sentences(text))
    return " ".join(filter(None, kept))
