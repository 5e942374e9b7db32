"""Splits a streamed completion into a reasoning channel and an answer channel.

Models mark the boundary in several ways, all handled while streaming (a label split
across pieces is held back until it is certain):

- ``<think> ... </think> answer`` (reasoning models, whatever the settings);
- ``Reasoning: ... Answer: ...`` or ``推理：... 答案：...`` (our chain-of-thought format; labels
  from both languages are accepted because small models mix them);
- a reasoning label at the start splits the completion even when chain-of-thought was
  not asked for (its reasoning must not pass as the answer);
- no labels at all: with chain-of-thought on, a completion that never reaches an answer
  label is taken as the answer (small models often skip the reasoning): it streams as
  reasoning and is then given again, whole, on the answer channel by ``finish``.
"""

from __future__ import annotations

from typing import Literal

Channel = Literal["reasoning", "answer"]
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


def _find_first(text: str, labels: tuple[str, ...]) -> tuple[int, int]:
    """(start, end) of the earliest label in ``text`` (case-insensitive), or (-1, -1)."""
    lowered = text.lower()
    best = (-1, -1)
    for label in labels:
        at = lowered.find(label)
        if at != -1 and (best[0] == -1 or at < best[0]):
            best = (at, at + len(label))
    return best


def _strip_label(text: str, labels: tuple[str, ...]) -> str:
    lowered = text.lower()
    for label in labels:
        if lowered.startswith(label):
            return text[len(label):].lstrip()
    return text


class ReasoningSplitter:
    def __init__(self, reasoning_labels: tuple[str, ...], answer_labels: tuple[str, ...], *,
                 chain_of_thought: bool = True) -> None:
        by_length = lambda labels: tuple(sorted({x.lower() for x in labels}, key=len, reverse=True))  # noqa: E731
        self._reasoning_labels = by_length(reasoning_labels)
        self._answer_labels = by_length(answer_labels)
        self._hold = max(len(x) for x in (*self._reasoning_labels, *self._answer_labels, _THINK_CLOSE))
        self._chain_of_thought = chain_of_thought
        self._mode = "start"
        self._buffer = ""
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        self._labelled = False  # an answer label (or </think>) was seen

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning).strip()

    @property
    def answer(self) -> str:
        return "".join(self._answer).strip()

    def feed(self, piece: str) -> list[tuple[Channel, str]]:
        self._buffer += piece
        return self._drain(final=False)

    def finish(self) -> list[tuple[Channel, str]]:
        out = self._drain(final=True)
        if self._mode in ("reasoning", "think") and not self._labelled:
            # never reached an answer: what it wrote is all we have, so it is the answer
            self._answer, self._reasoning = self._reasoning, []
            if self.answer:
                out.append(("answer", self.answer))
        return out

    def _emit(self, channel: Channel, text: str, out: list[tuple[Channel, str]]) -> None:
        if text:
            (self._reasoning if channel == "reasoning" else self._answer).append(text)
            out.append((channel, text))

    def _drain(self, *, final: bool) -> list[tuple[Channel, str]]:
        out: list[tuple[Channel, str]] = []
        while True:
            if self._mode in ("start", "answer_start"):
                stripped = self._buffer.lstrip()
                if len(stripped) < self._hold and not final:
                    return out
                self._buffer = self._begin(stripped)
            elif self._mode in ("reasoning", "think"):
                ends = (_THINK_CLOSE,) if self._mode == "think" else self._answer_labels
                start, end = _find_first(self._buffer, ends)
                if start == -1:
                    safe = len(self._buffer) if final else max(0, len(self._buffer) - self._hold + 1)
                    self._emit("reasoning", self._buffer[:safe], out)
                    self._buffer = self._buffer[safe:]
                    return out
                self._emit("reasoning", self._buffer[:start], out)
                self._buffer, self._mode, self._labelled = self._buffer[end:], "answer_start", True
            else:
                self._emit("answer", self._buffer, out)
                self._buffer = ""
                return out

    def _begin(self, text: str) -> str:
        if self._mode == "start" and text.lower().startswith(_THINK_OPEN):
            self._mode = "think"
            return text[len(_THINK_OPEN):]
        # a model that starts with a reasoning label reasons, whether or not it was asked to
        labelled = _strip_label(text, self._reasoning_labels) != text
        if self._mode == "start" and (self._chain_of_thought or labelled):
            self._mode = "reasoning"
            start, end = _find_first(text, self._answer_labels)
            if start == 0:  # no reasoning at all, straight to the answer
                self._mode, self._labelled = "answer_start", True
                return text[end:]
            return _strip_label(text, self._reasoning_labels)
        self._mode = "answer"
        return _strip_label(_strip_label(text, self._reasoning_labels), self._answer_labels)
