"""Errors raised by memory/."""

from graph.errors import InputError


class ContextBudgetError(InputError):
    """The parts of the context that cannot be folded or dropped do not fit in the budget."""

    def __init__(self, needed: int, budget: int) -> None:
        self.needed = needed
        self.budget = budget
        super().__init__(
            f"The system prompt and the current message need {needed} tokens, but the context "
            f"budget is {budget}. Shorten the message (or the system prompt), or give the model a "
            "larger context window (CONGMING_LLM__N_CTX for llama.cpp) or fewer reply tokens "
            "(CONGMING_LLM__MAX_TOKENS)."
        )
