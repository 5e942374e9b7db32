"""Prompt templates as files (agent/prompts/<language>/), with strict templating.

A template names its variables as ``$name``; rendering with one missing, or with one the
template does not use, is an error, so a renamed variable can never silently vanish from
a prompt. Each language folder has the same files:

- ``system.txt`` ($date, $instructions), ``question.txt`` ($message);
- ``reasoning.txt`` / ``direct.txt``: the answer format with and without chain-of-thought,
  each with one worked example (small models copy formats better than they follow rules);
- ``messages.toml``: section headers, the labels a model writes before its reasoning and
  its answer, stop strings, and the fixed replies for abstention.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from graph.errors import ConfigError

LANGUAGES = ("en", "zh")
_MESSAGE_KEYS = ("facts_header", "summary_header", "evidence_header", "abstain", "no_evidence",
                 "unsupported", "extractive", "noted", "noted_plain", "greeting", "thanks", "smalltalk",
                 "unusable", "own_knowledge")
_LIST_KEYS = ("reasoning_labels", "answer_labels", "stop")


def render_template(name: str, template: str, variables: dict[str, str]) -> str:
    """Fill ``$name`` placeholders; every placeholder must be given and every variable used."""
    parsed = string.Template(template)
    if not parsed.is_valid():
        raise ConfigError(f"Prompt template {name} has a malformed placeholder; write $name or $$ for '$'.")
    wanted = set(parsed.get_identifiers())
    missing, unused = wanted - variables.keys(), variables.keys() - wanted
    if missing or unused:
        raise ConfigError(f"Prompt template {name}: missing variables {sorted(missing)}, "
                          f"unused variables {sorted(unused)}; fix the template or the caller.")
    return parsed.substitute(variables)


@dataclass(frozen=True, slots=True)
class PromptSet:
    language: str
    system: str
    question: str
    reasoning: str
    direct: str
    messages: dict[str, str]
    reasoning_labels: tuple[str, ...]
    answer_labels: tuple[str, ...]
    stop: tuple[str, ...]

    def system_prompt(self, *, date: str, chain_of_thought: bool) -> str:
        instructions = self.reasoning if chain_of_thought else self.direct
        return render_template(f"{self.language}/system.txt", self.system,
                               {"date": date, "instructions": instructions.strip()}).strip()

    def question_prompt(self, message: str) -> str:
        return render_template(f"{self.language}/question.txt", self.question, {"message": message}).strip()

    def message(self, key: str, **variables: str) -> str:
        """A fixed reply; ``noted`` takes the ``statement``."""
        text = self.messages[key]
        return render_template(f"{self.language}/messages.toml:{key}", text, variables) if variables else text


def _read(language: str, name: str) -> str:
    path = resources.files("agent") / "prompts" / language / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"Prompt file agent/prompts/{language}/{name} is missing; "
                          "reinstall congming.") from exc


@cache
def load_prompts(language: str) -> PromptSet:
    if language not in LANGUAGES:
        raise ConfigError(f"No prompts for language {language!r}; use one of {LANGUAGES}.")
    try:
        table = tomllib.loads(_read(language, "messages.toml"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"agent/prompts/{language}/messages.toml is not valid TOML: {exc}") from exc
    absent = [key for key in (*_MESSAGE_KEYS, *_LIST_KEYS) if key not in table]
    if absent:
        raise ConfigError(f"agent/prompts/{language}/messages.toml lacks {absent}.")
    return PromptSet(language=language, system=_read(language, "system.txt"),
                     question=_read(language, "question.txt"), reasoning=_read(language, "reasoning.txt"),
                     direct=_read(language, "direct.txt"),
                     messages={key: str(table[key]) for key in _MESSAGE_KEYS},
                     reasoning_labels=tuple(table["reasoning_labels"]),
                     answer_labels=tuple(table["answer_labels"]), stop=tuple(table["stop"]))
