"""Which language a message is in, what kind of message it is (a question, a statement, small
talk), and whether it refers back to the conversation ("what does she do?").

Every message that asks for information in any form (a question, a request, a search-style
noun phrase) is a question: it is retrieved, answered and checked. Only a clear statement or
small talk skips that, so a doubtful message is taken for a question.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from graph.cjk import cjk_ratio, has_cjk

MessageKind = Literal["question", "statement", "smalltalk"]

_INVISIBLE = re.compile("[\ud800-\udfff\ufffd\ufeff\u200b-\u200f\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAMPLE = 2_000  # a long message is judged by its first and last this many characters

# -- small talk: the whole message is greetings, thanks or acknowledgements
_EN_SMALLTALK_WORDS = (
    r"hi|hello|hey|hiya|howdy|yo|greetings|thanks|thank you|thank u|thx|ty|cheers|many thanks|"
    r"much appreciated|appreciate it|ok|okay|k|kk|cool|great|nice|awesome|perfect|fine|good|sure|yes|yeah|"
    r"yep|yup|no|nope|nah|"
    r"alright|all right|got it|i see|understood|sounds good|good (?:morning|afternoon|evening|night|day)|"
    r"morning|bye|goodbye|good bye|see you|see ya|later|lol|haha+|wow|oh|ah|hmm+|congrats|well done|"
    r"no problem|np|you're welcome|nice to meet you|how are you(?: doing)?(?: today)?|how's it going|"
    r"what's up|have a (?:nice|good|great) (?:day|one|evening|weekend)|never ?mind|that's (?:great|helpful)|"
    r"that helps|take care|talk (?:soon|later)|catch you (?:soon|later)|you too|same to you|good luck")
# what may follow them: "thanks again", "hi there", "bye Joanna"
_EN_VOCATIVE = r"there|again|so much|very much|a lot|mate|buddy|congming|all|(?-i:[A-Z][a-z]+)"
_EN_SMALLTALK = re.compile(
    rf"(?:(?:{_EN_SMALLTALK_WORDS})(?:\s+(?:{_EN_VOCATIVE}))*"
    r"[\s,.!?~…:;)(*-]*)+", re.IGNORECASE)
_ZH_SMALLTALK = re.compile(
    r"(?:(?:你好|您好|嗨|哈喽|哈啰|谢谢|谢啦|多谢|感谢|好的|好滴|好|嗯+|哦+|噢|行|可以|没问题|早上好|早安|午安|下午好|"
    r"晚上好|晚安|再见|拜拜|回见|哈哈+|呵呵|明白了?|知道了|收到|太好了|不客气|辛苦了|你好吗|最近怎么样|在吗|你|您|啊|呀|了|啦)"
    r"[\s，,。.!！?？~～…、]*)+")
_SMALLTALK_MAX = 60

# -- English: a question, a request, or a question embedded in a statement ("I wonder who ...")
_EN_LEAD_IN = r"^\s*(?:(?:and|so|but|also|then|ok|okay|hey|well|please|um|oh|now)\b[\s,]*)*"
_EN_QUESTION_START = re.compile(
    _EN_LEAD_IN + r"(?:what|who|whom|whose|when|where|why|how|which|is|are|was|were|do|does|did|can|could|"
    r"should|would|will|has|have|had|tell me|give me|show me|get me|find|search|look up|list|name|explain|"
    r"describe|summari[sz]e|define|compare|remind me)\b", re.IGNORECASE)
_EN_REQUEST = re.compile(
    r"\b(?:i|we)(?:\s+would|'d|\s+really)?\s+(?:like|want|wanted|need|needed|wish|hope|was hoping|am hoping)"
    r"\s+to\s+(?:know|find out|learn|ask|see|understand|check|hear)\b|"
    r"\b(?:i|i'm|i am|i was)\s+(?:wonder|wondering|curious)\b|\b(?:tell me|let me know|any idea)\b|"
    r"\b(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|find|look|check|show|give|list|explain|describe|"
    r"say|remind|summari[sz]e|help)\b|\bplease\s+(?:tell|give|show|list|explain|describe|find|look|check|"
    r"summari[sz]e|name)\b|"
    r"\b(?:know|wonder|sure|ask|asking|remember|recall|idea|find out|figure out)\s+"
    r"(?:what|who|whom|whose|when|where|why|how|which|whether)\b|"
    # "owned by what company", "published by who", "In which city ..."
    r"\b(?:by|in|on|at|for|from|to|of|with|during|about|since|after|before)\s+what\b|"
    r"^\s*(?:in|on|at|by|for|from|to|during|of|with|after|before|since)\s+(?:which|whom|whose)\b|"
    r"\b(?:what|who|whom|where|when|which)\s*[.!]?\s*$", re.IGNORECASE)

# -- English: a clear statement has a subject and a finite verb
_EN_SUBJECT_START = re.compile(
    r"^\s*(?:i|i'm|i've|i'll|i'd|we|we're|we've|we'll|they|they're|they've|he|he's|she|she's|it's|"
    r"there's|you're)\s+\S", re.IGNORECASE)
_EN_FINITE = re.compile(  # a finite verb whatever the sentence ends with
    r"\b(?:am|is|are|was|were|has|have|had|does|did|(?-i:will|may)|would|shall|should|can|could|might|must|"
    r"went|came|began|became|ran|took|ate|drove|flew|grew|knew|saw|wrote|spoke)\b|"
    r"\b\w+(?:n't|'m|'re|'ve|'ll|'d)\b|\b(?:it|that|he|she|there|here)'s\b", re.IGNORECASE)
# "moved", "lives in", "My dog likes": a verb where the message ends like a sentence
_EN_VERB_FORM = re.compile(
    r"\b[A-Za-z]{3,}ed\b|\b(?:got|bought|sold|left|led|made|gave|said|told|thought|taught|won|lost|met|found|"
    r"built|held|kept|forgot|born|married|paid|sent|spent|brought)\b|"
    r"\b[A-Za-z]{2,}[^\Ws]s\s+(?:in|at|to|on|for|with|from|by|the|a|an|my|his|her|their|our|as|near|every|"
    r"each|very|really|about|into|out|up|back|there|here|well|now)\b|"
    r"^(?:my|our|his|her|their)\s+(?:[\w'-]+\s+){1,3}[a-z]+[^\Ws]s\b", re.IGNORECASE)
# "Lin moved to Shanghai", "My brother lives in Wrenfield": a subject, then a verb that is rarely a noun
_EN_NAME_DOES = re.compile(
    r"^\s*(?:[A-Z][\w'-]*\s+){1,3}(?:still\s+|also\s+|just\s+)?(?:moved|relocated|married|retired|"
    r"graduated|divorced|joined|quit|lives|loves|likes|hates|prefers|enjoys|wants|owns)\b|"
    r"^\s*(?i:my|our|his|her|their)\s+(?:[\w'-]+\s+){1,3}[a-z]+[^\Ws]s\s+(?:in|at|to|on|for|with|from|near|as)\b")
_SEVERAL_SENTENCES = re.compile(r"[a-z]{2}[.!]\s+[A-Z]")
_SENTENCE_END = re.compile(r"[.!。！…~～][\"'”’」』)）\s]*$")

# -- Chinese
_ZH_INDEFINITE = re.compile(  # 几 / 多少 / 什么 used as "a few", "somewhat", "anything"
    r"[前这那过好没头后]几|最近几|十几|几[十百千万]|几[天年]前|几[天年]后|或多或少|多少(?:有点|有些|也|还|会|带点)|"
    r"[点些]什么|没什么|(?:如果|要是)有?什么|没多[久少]|什么[都也]|谁[都也]|哪[儿里]?都|哪[儿里]?也|怎么[也都]|不怎么|不知怎么")
_ZH_STRONG = re.compile(
    r"吗[\s。？?！!….~]*$|呢\s*$|请问|告诉我|跟我说说|介绍一下|介绍下|请介绍|^介绍|帮我(?:查|找|看|搜|问|算|列)|"
    r"查(?:一下|一查|查)|搜(?:一下|索)|(?:我想|想要|我要)(?:知道|了解|问|查)|想了解|想知道|"
    r"请(?:列出|说明|解释|讲|说|给我)|列出|列举|说说|讲讲|解释一下|给我(?:讲|说|看|找|列)|"
    r"什么|谁|哪|怎么|怎样|如何|为什么|为何|何时|何地|何处|是否|是不是|有没有|多[长高大远久重深宽]")
_ZH_WEAK = re.compile(r"几[个位名人次年月天日号周岁家块张条件本只枚届场座分点]|多少")
_ZH_SEARCH = re.compile(  # a search-box query naming what is wanted ("北京冬奥会开幕时间")
    r"(?:数量|数目|时间|日期|人数|人次|名单|名字|名称|冠军|金牌|得主|地点|举办地|国家|导演|作者|主演|编剧|价格|售价|票房|量|率|"
    r"营收|收入|金额|排名|比分|成绩|震级|点数|原因|结果|最佳影片奖?|地址|电话|总部|简介|保修期?)\s*$")
_ZH_PREDICATE = re.compile(  # a verb or a predicate adjective: the message says something
    r"住|搬|在|是|有|了|过|着|叫|姓|喜欢|讨厌|爱|吃|喝|买|卖|去|来|到|做|当|工作|上班|上学|读|学|结婚|离婚|出生|退休|"
    r"毕业|升职|辞职|入职|养|认识|记得|记住|忘|打算|准备|计划|决定|已经|刚|正在|会|要|想|能|可以|很|挺|非常|特别|"
    r"有点|有些|太\S*了|觉得|认为|知道|告诉|说|开|换|生|回|走|用|给|让|把|被|不|没")
_ZH_CLEAR = re.compile(  # without an end mark, only an unmistakable statement counts
    r"住在|搬到|搬去|搬家|喜欢|讨厌|结婚|离婚|出生|退休|毕业|升职|辞职|入职|上班|上学|认识|记得|记住|打算|准备|已经|"
    r"正在|还在|也在|有点|有些|很|挺|非常|了$|^(?:我|我们|咱们|他|她|他们|她们)(?:\S{0,6})(?:在|是|有|叫|姓|去|买|养)")

_EN_REFERS_BACK = re.compile(
    r"\b(she|he|it|they|her|him|his|hers|its|their|theirs|them|this|that|these|those|there|then)\b",
    re.IGNORECASE)
_ZH_REFERS_BACK = re.compile(r"[她他它其]|这[个些里儿位家件次]?|那[个些里儿位家件次时]|此|该")


def detect_language(text: str) -> str:
    """"zh" when a good share of the letters are CJK, else "en"."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def message_kind(text: str) -> MessageKind:
    """"question" for anything that asks for information (a question, a request, a search-style
    noun phrase such as "Aerolux H3 warranty"); "statement" for a clear statement ("Lin moved to
    Shanghai.", "我搬到上海了。"); "smalltalk" for greetings, thanks and acknowledgements."""
    sample = _sample(text)
    if not re.search(r"[^\W_]", sample):
        return "smalltalk"  # nothing to look up: empty, only punctuation or symbols
    if _is_smalltalk(sample):
        return "smalltalk"
    if "?" in sample or "？" in sample or _asks_en(sample) or _asks_zh(sample):
        return "question"
    states = (has_cjk(sample) and _states_zh(sample)) or _states_en(sample)
    return "statement" if states else "question"


def asks_question(text: str) -> bool:
    """True for a request for information (verified and cited); False for a statement or
    small talk ("my sister lives in Hangzhou", "thanks"), which is answered without a check."""
    return message_kind(text) == "question"


def _sample(text: str) -> str:
    """The message without outer spaces, broken or invisible characters, in NFKC form ("ＯＫ" is
    "OK"); of a long one, only its beginning and its end."""
    stripped = text.strip()
    if len(stripped) > 2 * _SAMPLE:
        stripped = f"{stripped[:_SAMPLE]}\n{stripped[-_SAMPLE:]}"
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", stripped)).strip().replace("’", "'")


def _is_smalltalk(sample: str) -> bool:
    if len(sample) > _SMALLTALK_MAX:
        return False
    return bool(_EN_SMALLTALK.fullmatch(sample) or _ZH_SMALLTALK.fullmatch(sample))


def _asks_en(sample: str) -> bool:
    return bool(_EN_QUESTION_START.match(sample) or _EN_REQUEST.search(sample))


def _asks_zh(sample: str) -> bool:
    if not has_cjk(sample):
        return False
    plain = _ZH_INDEFINITE.sub("", sample)
    if _ZH_STRONG.search(plain) or _ZH_SEARCH.search(plain):
        return True
    # "几个" / "多少" ask only where the message does not end like a statement ("我买了几个苹果。")
    return bool(_ZH_WEAK.search(plain)) and not _SENTENCE_END.search(plain)


def _states_en(sample: str) -> bool:
    """A subject pronoun with more after it, a finite verb ("is", "lives" in a sentence that ends
    with a full stop), or several sentences; a fragment without a verb ("capital of France") asks."""
    if _EN_SUBJECT_START.match(sample) or _EN_FINITE.search(sample) or _EN_NAME_DOES.match(sample):
        return True
    if not _SENTENCE_END.search(sample) or len(sample.split()) < 3:
        return False
    return bool(_EN_VERB_FORM.search(sample) or _SEVERAL_SENTENCES.search(sample))


def _states_zh(sample: str) -> bool:
    """A sentence with a predicate that ends with 。 or ！; without an end mark, only an
    unmistakable statement ("我妹妹住在杭州"); a noun phrase ("2022年诺贝尔文学奖得主") asks."""
    if _SENTENCE_END.search(sample):
        return bool(_ZH_PREDICATE.search(sample))
    return bool(_ZH_CLEAR.search(sample))


def refers_back(text: str) -> bool:
    """True when the message leans on what was said before: a pronoun or a pointing word
    ("she", "there", "它", "那里") whose meaning is in an earlier turn."""
    return bool(_EN_REFERS_BACK.search(text) or _ZH_REFERS_BACK.search(text))


def follow_up_query(text: str, previous: str) -> str:
    """What to search for: a message that refers back, together with the message before it."""
    return f"{previous}\n{text}" if previous and refers_back(text) else text
