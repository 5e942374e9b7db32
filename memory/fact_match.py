"""How well a remembered fact matches a question, in English and Chinese.

Both sides become sets of units: English content words (case-folded, a plural "s" dropped,
function words left out) and, for Chinese, character bigrams (a lone character stands for
itself), so no word segmenter is needed. A fact's units come from its subject, object,
sentence and the words a question about its relation may use ("where" for lives_in, "生日" for
birthday). The match is the share of the question's units the fact covers.
"""

from __future__ import annotations

import re
import unicodedata

from graph.cjk import CJK_CHAR
from memory.fact_vocab import USER, relation_words, word_set

_RUN = re.compile(rf"(?:{CJK_CHAR.pattern})+|[^\W_]+")
STOPWORDS = word_set("""
a an the i me my mine myself you your yours we our us he him his she her it its they them their
is am are was were be been being do does did done have has had will would can could should shall
what which who whom whose how when why to of in on at for with by from and or but not no yes
this that these those there here any some about tell know remember please again now also just
ok okay hi hello thanks thank s m t d ll re ve don doesn didn isn aren wasn
""")
# Chinese bigrams that only make the sentence a question or a statement.
CJK_STOP = frozenset({"什么", "是什", "么样", "怎么", "我的", "你知", "知道", "道我", "记得", "告诉",
                      "诉我", "一下", "请问"})


def units(text: str) -> set[str]:
    """The comparable units of ``text`` (see the module docstring)."""
    out: set[str] = set()
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).casefold()):
        if CJK_CHAR.match(run):
            out.update(run if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
        elif run not in STOPWORDS:
            out.add(run[:-1] if len(run) > 3 and run.endswith("s") and not run.endswith("ss") else run)
    return out - CJK_STOP


def fact_units(subject: str, relation: str, object_: str, text: str) -> set[str]:
    """Units a question about this fact may share with it."""
    parts = [object_, text, relation_words(relation)]
    if subject != USER:
        parts.append(subject.removeprefix("user's "))
    return set().union(*(units(p) for p in parts))


def relative_units(relation: str, object_: str) -> set[str]:
    """Units that show a question is about the relative a has_<relative> fact names: the
    relation's nouns ("sister", "妹妹") and the relative's name."""
    return units(relation_words(relation)) | units(object_)


def match(query_units: set[str], units_of_fact: set[str]) -> float:
    """Share of the question's units that the fact covers, 0..1 (0 for an empty question)."""
    if not query_units:
        return 0.0
    return len(query_units & units_of_fact) / len(query_units)
