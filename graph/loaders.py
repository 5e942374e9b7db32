"""Read .txt, .md, .html, .pdf and .docx files into clean Unicode text.

Every failure is a :class:`LoadError` naming the file, what is wrong and what to do, so an
ingest batch can report it and go on with the next file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from graph.cjk import CJK_CHAR
from graph.errors import CongmingError, require

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

LoadErrorReason = Literal[
    "missing", "unreadable", "unsupported", "empty", "no_text", "binary", "encoding",
    "corrupt", "encrypted", "too_large",
]

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

_CONVERT_HINTS = {
    ".doc": "save it as .docx",
    ".rtf": "save it as .docx or .txt",
    ".odt": "save it as .docx",
    ".pptx": "export it to PDF",
    ".xlsx": "export the sheets to CSV and rename to .txt",
}

# Magic numbers of binary formats that sometimes arrive with a text extension.
_SIGNATURES = (
    (b"%PDF-", "a PDF document (rename it to .pdf)"),
    (b"PK\x03\x04", "a ZIP archive or Office file (a .docx? rename it)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls; save it as .docx)"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x7fELF", "an executable"),
    (b"\x1f\x8b", "a gzip archive (decompress it first)"),
)


class LoadError(CongmingError):
    """A file could not be read as text. ``reason`` is a short machine-readable code."""

    def __init__(self, path: str | Path, reason: LoadErrorReason, detail: str) -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


@dataclass(frozen=True, slots=True)
class LoadedText:
    text: str
    title: str
    content_hash: str  # sha256 hex of the raw file bytes
    source: str  # absolute path
    media_type: str
    metadata: dict[str, Any] = field(default_factory=dict)


def load_text(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedText:
    """Read one file into normalised text (NFC, ``\\n`` newlines, no control characters)."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    media_type = _media_type(path, suffix)
    data = _read_bytes(path, max_bytes)
    if suffix == ".pdf":
        from graph.loaders_office import read_pdf

        text, title, metadata = read_pdf(path, data)
    elif suffix == ".docx":
        from graph.loaders_office import read_docx

        text, title, metadata = read_docx(path, data)
    else:
        _refuse_binary(path, data)
        if media_type == "text/html":
            text, title, metadata = _read_html(path, data)
        else:
            text, encoding, metadata = decode_text(path, data)
            metadata["encoding"] = encoding
            title = _markdown_title(text) if media_type == "text/markdown" else ""
    text = normalise_text(text)
    if not text.strip():
        raise LoadError(path, "no_text", "no text found in the file; nothing to ingest.")
    return LoadedText(
        text=text,
        title=normalise_text(title).strip() or path.stem,
        content_hash=hashlib.sha256(data).hexdigest(),
        source=str(path.resolve()),
        media_type=media_type,
        metadata=metadata,
    )


def _media_type(path: Path, suffix: str) -> str:
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    hint = _CONVERT_HINTS.get(suffix, "convert it to one of those first")
    supported = ", ".join(sorted(MEDIA_TYPES))
    raise LoadError(
        path, "unsupported",
        f"unsupported file type {suffix or '(no extension)'!r}; supported: {supported}. {hint}.",
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise LoadError(path, "missing", "file not found; check the path.")
    if not path.is_file():
        raise LoadError(path, "unreadable", "not a regular file (a directory?); pass files.")
    size = path.stat().st_size
    if size > max_bytes:
        raise LoadError(
            path, "too_large",
            f"file is {_size(size)}, over the {_size(max_bytes)} limit; "
            "split it into smaller files or raise the size limit.",
        )
    if size == 0:
        raise LoadError(path, "empty", "file is empty; nothing to ingest.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(path, "unreadable", f"cannot read the file ({exc.strerror}); "
                        "check its permissions.") from exc


_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1b")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _refuse_binary(path: Path, data: bytes) -> None:
    head = data[:8192]
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise LoadError(path, "binary", f"named {path.suffix} but it is {what}.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text is full of NULs
        return
    # A stray NUL or control byte is dropped later; many of them mean this is not text.
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if controls > max(2, len(head) // 100):
        raise LoadError(path, "binary", f"named {path.suffix} but it holds binary data "
                        "(NUL and control bytes), not text; check that this is the right file.")


def decode_text(path: str | Path, data: bytes) -> tuple[str, str, dict[str, Any]]:
    """Decode bytes of a text file; returns (text, encoding, metadata).

    Order: BOMs, strict UTF-8, UTF-8 with a few damaged bytes, GB18030 (a superset of GBK
    and GB2312) when the result reads as Chinese, then charset-normalizer.
    """
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding, {}
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8", {}
    except UnicodeDecodeError:
        pass
    damaged = _damaged_utf8(data)
    if damaged is not None:
        text, bad = damaged
        return text, "utf-8", {"replaced_bytes": bad}
    try:
        text = data.decode("gb18030")
        if _reads_as_chinese(text):
            return text, "gb18030", {}
    except UnicodeDecodeError:
        pass
    charset_normalizer = require("charset_normalizer", "knowledge", "Detecting text encodings")
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise LoadError(path, "encoding", "cannot tell the text encoding; "
                        "convert the file to UTF-8 and try again.")
    return str(best), best.encoding, {}


def _damaged_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few invalid bytes (a bad copy, a cut multi-byte character) - not a legacy
    encoding: decode with U+FFFD for the bad bytes. None when it does not look like that."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if bad <= max(8, len(text) // 100) and multibyte >= 4 * bad:
        return text, bad
    return None


def _reads_as_chinese(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return True
    chinese = sum(1 for ch in non_ascii if CJK_CHAR.match(ch) or _is_cjk_punctuation(ch))
    return chinese / len(non_ascii) >= 0.9


def _is_cjk_punctuation(ch: str) -> bool:
    return ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
            or ch in "\u2014\u2026\u201c\u201d\u2018\u2019\u00b7")


_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` newlines, control characters (NUL included) and BOMs dropped, at most one
    blank line in a row, no trailing spaces."""
    text = unicodedata.normalize("NFC", _NEWLINES.sub("\n", text))
    text = "".join(ch for ch in text if ch in "\n\t" or not _is_control(ch))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")


def _is_control(ch: str) -> bool:
    return ch == "\ufeff" or unicodedata.category(ch) == "Cc"


_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _markdown_title(text: str) -> str:
    match = _ATX_HEADING.search(text[:20000])
    return match.group(1) if match else ""


_DROPPED_TAGS = ("script", "style", "noscript", "template", "nav", "footer", "svg", "iframe",
                 "form", "button", "select", "head")
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
})


def _read_html(path: Path, data: bytes) -> tuple[str, str, dict[str, Any]]:
    bs4 = require("bs4", "knowledge", "Reading HTML files")
    try:
        soup = bs4.BeautifulSoup(data, "html.parser")
    except Exception as exc:  # ParserRejectedMarkup and friends, from untrusted input
        raise LoadError(path, "corrupt", f"the HTML cannot be parsed ({exc}); "
                        "save the page again or as text.") from exc
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if not title and (h1 := soup.find("h1")) is not None:
        title = h1.get_text(" ", strip=True)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    parts: list[str] = []
    _html_text(soup, parts, bs4)
    lines = (" ".join(line.split()).strip(" |") for line in "".join(parts).split("\n"))
    text = "\n".join(lines)
    return text, title, {"encoding": soup.original_encoding or "utf-8"}


def _html_text(node: Any, parts: list[str], bs4: Any) -> None:
    """Text of ``node`` with blocks (headings, paragraphs, list items, cells) on their own lines."""
    for child in node.children:
        if isinstance(child, bs4.element.NavigableString):
            if type(child) in (bs4.element.NavigableString, bs4.element.CData):
                parts.append(str(child))
        elif child.name == "br":
            parts.append("\n")
        elif child.name in _BLOCK_TAGS:
            parts.append("\n\n" if child.name not in ("td", "th") else " | ")
            _html_text(child, parts, bs4)
            parts.append("\n\n" if child.name not in ("td", "th") else "")
        else:
            _html_text(child, parts, bs4)
