"""The root of congming's errors. Every message says what to do next."""


class CongmingError(Exception):
    """Base class for every error congming raises on purpose."""


class MissingExtraError(CongmingError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed. "
            f"Install it with: pip install 'congming[{extra}]'"
        )


class ModelNotFoundError(CongmingError):
    """A model file or directory does not exist or cannot be loaded."""


class BackendUnavailableError(CongmingError):
    """A server or backend (OpenAI-compatible server, Neo4j, ...) cannot be reached."""


class ConfigError(CongmingError):
    """Settings are invalid or name something unknown."""


class InputError(CongmingError):
    """The caller passed input that cannot be used (empty, too large, not text)."""


def require(module: str, extra: str, purpose: str):
    """Import an optional module, or raise MissingExtraError naming the install command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, purpose) from exc
