"""Which language a message is in, whether it asks for information, and whether it refers back
to the conversation ("what does she do?")."""

from __future__ import annotations

import re

from graph.cjk import cjk_ratio

_EN_QUESTION_START = re.compile(
    r"^\s*(what|who|whom|whose|when|where|why|how|which|is|are|was|were|do|does|did|can|could|"
    r"should|would|will|has|have|had|tell me|list|name|explain|describe)\b", re.IGNORECASE)
_ZH_QUESTION = re.compile(
    r"[吗呢]\s*[。？?！!]?\s*$|什么|谁|哪|几[个位名人次年月天日号周岁家块张条件本只枚届场座]|多少|怎么|怎样|如何|"
    r"为什么|为何|何时|是否|是不是|有没有|请问|告诉我|介绍|"
    # search-box queries: a noun phrase naming what is wanted ("北京冬奥会开幕时间")
    r"多[长高大远久重深宽]|(数量|数目|时间|日期|人数|人次|名单|名字|名称|冠军|金牌|得主|地点|举办地|国家|导演|作者|"
    r"价格|售价|票房|量|率|营收|收入|金额|排名|比分|成绩|震级|点数|原因|结果|最佳影片奖?)\s*$")

_EN_REFERS_BACK = re.compile(
    r"\b(she|he|it|they|her|him|his|hers|its|their|theirs|them|this|that|these|those|there|then)\b",
    re.IGNORECASE)
_ZH_REFERS_BACK = re.compile(r"[她他它其]|这[个些里儿位家件次]?|那[个些里儿位家件次时]|此|该")


def detect_language(text: str) -> str:
    """"zh" when a good share of the letters are CJK, else "en"."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def asks_question(text: str) -> bool:
    """True for a request for information (verified and cited); False for a statement or
    small talk ("my sister lives in Hangzhou", "thanks"), which is answered without a check."""
    stripped = text.strip()
    if "?" in stripped or "？" in stripped:
        return True
    return bool(_EN_QUESTION_START.match(stripped) or _ZH_QUESTION.search(stripped))


def refers_back(text: str) -> bool:
    """True when the message leans on what was said before: a pronoun or a pointing word
    ("she", "there", "它", "那里") whose meaning is in an earlier turn."""
    return bool(_EN_REFERS_BACK.search(text) or _ZH_REFERS_BACK.search(text))


def follow_up_query(text: str, previous: str) -> str:
    """What to search for: a message that refers back, together with the message before it."""
    return f"{previous}\n{text}" if previous and refers_back(text) else text
