"""Errors raised by congming. All derive from CongmingError."""

from graph.errors import (
    BackendUnavailableError,
    ConfigError,
    CongmingError,
    InputError,
    MissingExtraError,
    ModelNotFoundError,
)


class ContextOverflowError(CongmingError):
    """The prompt does not fit in the model's context window."""

    def __init__(self, prompt_tokens: int, max_context: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_context = max_context
        super().__init__(
            f"The prompt is {prompt_tokens} tokens but the model's context window is "
            f"{max_context}. Shorten the conversation or evidence, or raise the context size "
            "(CONGMING_LLM__N_CTX for llama.cpp) if the model supports it."
        )


__all__ = [
    "BackendUnavailableError",
    "ConfigError",
    "CongmingError",
    "ContextOverflowError",
    "InputError",
    "MissingExtraError",
    "ModelNotFoundError",
]
