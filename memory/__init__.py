"""Working memory, episodic memory and semantic facts."""

from memory.errors import ContextBudgetError
from memory.parts import Evidence, Passage, PinnedFact, PinnedFacts, Question, Summary, SystemPart, Turn
from memory.summary import Summarizer
from memory.types import CompletionOptions, MemoryModel, Message, TokenCounter
from memory.working import BudgetPolicy, Context, ContextBuilder, Headers, WorkingMemory

__all__ = [
    "BudgetPolicy",
    "CompletionOptions",
    "Context",
    "ContextBudgetError",
    "ContextBuilder",
    "Evidence",
    "Headers",
    "MemoryModel",
    "Message",
    "Passage",
    "PinnedFact",
    "PinnedFacts",
    "Question",
    "Summarizer",
    "Summary",
    "SystemPart",
    "TokenCounter",
    "Turn",
    "WorkingMemory",
]
