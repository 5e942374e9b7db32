"""Working memory: the context given to the model each turn, inside a token budget.

The budget is counted with the active model's tokenizer over the rendered messages, so
``count_tokens(context.messages) <= budget`` always holds. What goes in, by priority:

1. the system prompt and the current question (required: if they alone do not fit,
   ContextBudgetError);
2. the newest finished turn, verbatim (folded with the rest if it cannot fit);
3. pinned facts about the user, up to ``facts_share`` of the budget (weakest, then
   oldest, dropped first);
4. evidence, up to ``evidence_share`` of the budget (lowest-ranked passages dropped whole);
5. older turns verbatim, newest first; the ones that do not fit are folded, oldest first
   and whole, into the rolling summary (up to ``summary_share`` of the budget).

Messages are never cut; the same inputs always give the same context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from graph.errors import ConfigError, InputError
from memory.errors import ContextBudgetError
from memory.parts import (
    Evidence,
    Part,
    Passage,
    PinnedFact,
    PinnedFacts,
    Question,
    Summary,
    SystemPart,
    Turn,
    render,
)
from memory.summary import Summarizer, largest_fitting, trim_to_fit
from memory.types import MemoryModel, Message, TokenCounter

_REASONING = re.compile(r"<think>.*?</think>\s*", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    facts_share: float = 0.15
    evidence_share: float = 0.4
    summary_share: float = 0.15

    def __post_init__(self) -> None:
        shares = (self.facts_share, self.evidence_share, self.summary_share)
        if any(not 0.0 <= share <= 1.0 for share in shares) or sum(shares) > 1.0:
            raise ConfigError("Budget shares must each be between 0 and 1 and add up to at most 1.")


@dataclass(frozen=True, slots=True)
class Context:
    messages: tuple[Message, ...]
    tokens: int  # count_tokens(messages), <= budget
    budget: int
    parts: tuple[Part, ...]
    summary: Summary  # the rolling summary after this turn (empty when nothing was folded)
    turns: tuple[Turn, ...]  # verbatim, oldest first
    evidence: tuple[Passage, ...]  # kept passages; passage i is cited as [i + 1]
    folded: tuple[Turn, ...] = ()  # turns folded into the summary while building this context
    summary_source: str = "none"  # none | kept | llm | llm+trimmed | extractive
    dropped_facts: tuple[PinnedFact, ...] = ()
    dropped_evidence: tuple[Passage, ...] = ()


@dataclass(frozen=True, slots=True)
class Headers:
    """The titles of the context's sections, in the reply language."""

    facts: str = field(default_factory=lambda: PinnedFacts().header)
    summary: str = field(default_factory=lambda: Summary().header)
    evidence: str = field(default_factory=lambda: Evidence().header)


@dataclass(frozen=True, slots=True)
class _Draft:
    system: SystemPart
    question: Question
    headers: Headers = field(default_factory=Headers)
    facts: PinnedFacts = field(default_factory=PinnedFacts)
    summary: Summary = field(default_factory=Summary)
    turns: tuple[Turn, ...] = ()
    evidence: Evidence = field(default_factory=Evidence)

    def parts(self) -> tuple[Part, ...]:
        facts = replace(self.facts, header=self.headers.facts)
        summary = replace(self.summary, header=self.headers.summary)
        evidence = replace(self.evidence, header=self.headers.evidence)
        return (self.system, facts, summary, *self.turns, evidence, self.question)


def strip_reasoning(text: str) -> str:
    """Remove ``<think>...</think>`` blocks that some models write inline with the answer."""
    return _REASONING.sub("", text).strip()


class ContextBuilder:
    """Builds one turn's context; stateless, so the same inputs give the same context."""

    def __init__(self, counter: TokenCounter, *, budget: int, policy: BudgetPolicy | None = None,
                 summarizer: Summarizer | None = None) -> None:
        if budget < 1:
            raise ConfigError(f"The context budget must be at least 1 token, got {budget}.")
        self.counter = counter
        self.budget = budget
        self.policy = policy or BudgetPolicy()
        self.summarizer = summarizer or Summarizer(counter)

    def count(self, draft: _Draft) -> int:
        return self.counter.count_tokens(render(draft.parts()))

    def fits(self, draft: _Draft) -> bool:
        return self.count(draft) <= self.budget

    def build(self, *, system: str, question: str, turns: Sequence[Turn] = (),
              summary: Summary | None = None, facts: Sequence[PinnedFact] = (),
              evidence: Sequence[Passage] = (), headers: Headers | None = None) -> Context:
        if not question.strip():
            raise InputError("The question is empty: give the message to answer.")
        summary = summary or Summary()
        draft = _Draft(SystemPart(system), Question(question), headers or Headers())
        needed = self.count(draft)
        if needed > self.budget:
            raise ContextBudgetError(needed, self.budget)
        turns = tuple(turns)
        if turns and self.fits(replace(draft, turns=turns[-1:])):
            draft, older = replace(draft, turns=turns[-1:]), turns[:-1]
        else:
            older = turns
        draft, dropped_facts = self._add_facts(draft, facts)
        draft, dropped_evidence = self._add_evidence(draft, evidence)
        draft, folded, source = self._add_turns(draft, older, summary)
        messages = tuple(render(draft.parts()))
        return Context(messages=messages, tokens=self.counter.count_tokens(messages), budget=self.budget,
                       parts=draft.parts(), summary=draft.summary, turns=draft.turns,
                       evidence=draft.evidence.passages, folded=folded, summary_source=source,
                       dropped_facts=dropped_facts, dropped_evidence=dropped_evidence)

    def _share_fits(self, base_tokens: int, share: float, draft: _Draft) -> bool:
        tokens = self.count(draft)
        return tokens <= self.budget and tokens - base_tokens <= int(share * self.budget)

    def _add_facts(self, draft: _Draft, facts: Sequence[PinnedFact]) -> tuple[_Draft, tuple[PinnedFact, ...]]:
        # keep the strongest, newest first (later in the list is newer); render in given order
        order = sorted(range(len(facts)), key=lambda i: (-facts[i].strength, -i))
        base = self.count(draft)

        def with_top(k: int) -> _Draft:
            kept = sorted(order[:k])
            return replace(draft, facts=PinnedFacts(tuple(facts[i] for i in kept)))

        share = self.policy.facts_share
        keep = largest_fitting(len(facts), lambda k: self._share_fits(base, share, with_top(k)))
        dropped = tuple(facts[i] for i in sorted(order[keep:]))
        return with_top(keep), dropped

    def _add_evidence(self, draft: _Draft, passages: Sequence[Passage]) -> tuple[_Draft, tuple[Passage, ...]]:
        passages = tuple(passages)
        base = self.count(draft)

        def with_best(k: int) -> _Draft:
            return replace(draft, evidence=Evidence(passages[:k]))

        share = self.policy.evidence_share
        keep = largest_fitting(len(passages), lambda k: self._share_fits(base, share, with_best(k)))
        return with_best(keep), passages[keep:]

    def _add_turns(self, draft: _Draft, older: tuple[Turn, ...],
                   summary: Summary) -> tuple[_Draft, tuple[Turn, ...], str]:
        newest = draft.turns
        everything = replace(draft, turns=older + newest, summary=summary)
        if self.fits(everything):
            return everything, (), "kept" if summary.text else "none"
        reserve = int(self.policy.summary_share * self.budget)

        def keep_newest(j: int) -> _Draft:
            return replace(draft, turns=older[len(older) - j:] + newest)

        kept = largest_fitting(len(older), lambda j: self.count(keep_newest(j)) <= self.budget - reserve)
        draft = keep_newest(kept)
        folded = older[: len(older) - kept]
        room = min(reserve, self.budget - self.count(draft))
        text, source = self.summarizer.fold(summary.text, folded, room)
        new_summary = Summary(text, summary.turns + len(folded))

        def with_text(candidate: str) -> bool:
            return self.fits(replace(draft, summary=replace(new_summary, text=candidate)))

        fitted = trim_to_fit(text, with_text)
        if fitted != text and source == "llm":
            source = "llm+trimmed"
        return replace(draft, summary=replace(new_summary, text=fitted)), folded, source


class WorkingMemory:
    """One session's working memory: the verbatim turns and the rolling summary.

    ``build`` makes the context for a new message and keeps the result of any folding;
    ``add_turn`` records the finished exchange (the final answer only, never reasoning).
    """

    def __init__(self, counter: TokenCounter, *, budget: int, system: str,
                 policy: BudgetPolicy | None = None, model: MemoryModel | None = None,
                 max_summary_prompt_tokens: int | None = None) -> None:
        summarizer = Summarizer(counter, model, max_prompt_tokens=max_summary_prompt_tokens)
        self.builder = ContextBuilder(counter, budget=budget, policy=policy, summarizer=summarizer)
        self.system = system
        self.turns: list[Turn] = []
        self.summary = Summary()

    def add_turn(self, user: str, answer: str, *, turn_id: str = "") -> Turn:
        turn = Turn(user, strip_reasoning(answer), turn_id)
        self.turns.append(turn)
        return turn

    def build(self, question: str, *, facts: Sequence[PinnedFact] = (), evidence: Sequence[Passage] = (),
              system: str | None = None, headers: Headers | None = None) -> Context:
        """The context for ``question``; ``system`` replaces the system prompt for this turn only."""
        context = self.builder.build(system=self.system if system is None else system, question=question,
                                     turns=self.turns, summary=self.summary, facts=facts,
                                     evidence=evidence, headers=headers)
        self.summary = context.summary
        self.turns = list(context.turns)
        return context
