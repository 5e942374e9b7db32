"""Word lists of the English fact rules: contractions, words before a relative noun, words
that make a noun no job, words that are no names."""

from __future__ import annotations

import re

from memory.fact_vocab import RELATIVES_EN, word_set

_CONTRACTIONS = [(re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"\bi'm\b", "I am"), (r"\bi've\b", "I have"), (r"\bi'd\b", "I would"), (r"\bi'll\b", "I will"),
    (r"\b(she|he|it)'s\b", r"\1 is"), (r"\b(she|he|they|we|you|it)'ll\b", r"\1 will"),
    (r"\b(she|he|they|we|you)'d\b", r"\1 would"), (r"\b(they|we|you)'re\b", r"\1 are"),
    (r"\b(they|we|you)'ve\b", r"\1 have"), (r"\bcan't\b", "cannot"), (r"\bwon't\b", "will not"),
    (r"\b(do|does|did|is|are|was|were|have|has|had|could|would|should)n't\b", r"\1 not"))]
# Words that may stand between "my" and a relative noun: "my new boss", "my older sister".
MOD = (r"(?:(?:new|older|oldest|elder|eldest|younger|youngest|little|big|baby|twin|best|good|close|"
       r"dear|only|current|lovely|favou?rite|college|university|uni|high school|school|work|"
       r"childhood|first|second|half)[ -])*?")
# Words before a job that make it no job of now, or a judgement ("a good cook").
NOT_A_JOB = word_set("""former retired ex aspiring would-be future wannabe good great bad terrible excellent
amazing brilliant real true total complete natural born big huge kind nice lovely happy proud decent
awful fantastic wonderful fine horrible lousy unemployed""")
NOT_NAMES = word_set("""who which that and but also now still currently really actually just is was
has have had does do did will would lives live works work moved likes loves never always said says
told thinks thought wants wanted might may could should can cannot must""")
# A capitalised word that starts a clause but names no one ("The", "Monday", "Everyone").
NOT_NEW_NAMES = NOT_NAMES | word_set("""i we you they he she it my our your his her their its the a an
this these those there here then so someone everyone nobody somebody everybody people each every some
many most all both no none one two nothing everything something today tomorrow yesterday tonight last
next monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december finally recently definitely probably maybe perhaps
only even often usually sometimes well oh yes no please thanks hi hello hey""") | set(RELATIVES_EN)


def expand_contractions(text: str) -> str:
    """"I'm" -> "I am", "doesn't" -> "does not" ("Lin's" stays)."""
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text
