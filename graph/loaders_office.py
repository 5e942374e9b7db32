"""PDF (pypdf) and .docx (python-docx) readers for :func:`graph.loaders.load_text`.

Both parsers read untrusted files and can fail in many ways (bad zip, bad xref, missing
parts, broken XML); anything they raise becomes a LoadError for that one file.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from graph.errors import require
from graph.loaders import LoadError, normalise_text

PAGE_SEPARATOR = "\n\n"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_pdf(path: Path, data: bytes) -> tuple[str, str, dict[str, Any]]:
    """Text of every page, pages joined by a blank line; ``page_starts`` holds the character
    offset where each page begins (before normalisation of the joined text)."""
    pypdf = require("pypdf", "knowledge", "Reading PDF files")
    _quiet_pypdf()
    if b"%PDF-" not in data[:1024]:
        raise LoadError(path, "corrupt", "not a PDF (no %PDF header); check the file.")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        _unlock(path, reader, pypdf)
        pages = list(reader.pages)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, "corrupt", f"the PDF is damaged and cannot be read ({exc}); "
                        "re-export or repair it (e.g. qpdf) and try again.") from exc
    texts, failed = _page_texts(pages)
    if len(failed) == len(pages):
        raise LoadError(path, "corrupt", "no page of this PDF could be read; re-export it.")
    if not any(t.strip() for t in texts):
        raise LoadError(path, "no_text", f"none of its {len(pages)} page(s) has a text layer "
                        "(a scan?); OCR it first, e.g. `ocrmypdf in.pdf out.pdf`.")
    joined, starts = _join_pages(texts)
    metadata: dict[str, Any] = {"pages": len(pages), "page_starts": starts}
    if failed:
        metadata["failed_pages"] = failed
    return joined, _pdf_title(reader), metadata


def _join_pages(texts: list[str]) -> tuple[str, list[int]]:
    """Join normalised pages; ``starts[i]`` is where page i+1 begins in the joined text (an
    empty page starts where the next text does)."""
    kept: list[str] = []
    starts: list[int] = []
    offset = 0
    for text in texts:
        if kept and text:
            offset += len(PAGE_SEPARATOR)
        starts.append(offset)
        if text:
            kept.append(text)
            offset += len(text)
    return PAGE_SEPARATOR.join(kept), starts


def _quiet_pypdf() -> None:
    """pypdf logs a warning for every oddity of a damaged file; the LoadError says enough.
    Left alone when the application configured the 'pypdf' logger itself."""
    logger = logging.getLogger("pypdf")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)


def _unlock(path: Path, reader: Any, pypdf: Any) -> None:
    """Open PDFs that are encrypted with an empty user password (only printing/copying is
    restricted); refuse the ones that need a password."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except pypdf.errors.DependencyError as exc:
        raise LoadError(path, "encrypted", "the PDF is AES-encrypted and reading it needs the "
                        "'cryptography' package: pip install 'pypdf[crypto]'.") from exc
    if not opened:
        raise LoadError(path, "encrypted", "the PDF is password-protected; save an "
                        "unprotected copy (e.g. `qpdf --decrypt`) and ingest that.")


def _page_texts(pages: list[Any]) -> tuple[list[str], list[int]]:
    texts, failed = [], []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception:  # one bad content stream should not lose the other pages
            texts.append("")
            failed.append(number)
    return [normalise_text(t).strip() for t in texts], failed


def _pdf_title(reader: Any) -> str:
    try:
        return str(reader.metadata.title or "") if reader.metadata else ""
    except Exception:
        return ""


def read_docx(path: Path, data: bytes) -> tuple[str, str, dict[str, Any]]:
    """Paragraphs and tables in document order; table cells joined by ' | '."""
    docx = require("docx", "knowledge", "Reading .docx files")
    if data.startswith(_OLE_MAGIC):
        raise LoadError(path, "encrypted", "this is a password-protected (or legacy .doc) Word "
                        "file; save an unprotected .docx copy and ingest that.")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_block_text(item) for item in document.iter_inner_content()]
        title = document.core_properties.title or _first_heading(document)
    except Exception as exc:
        raise LoadError(path, "corrupt", f"the .docx is damaged or not a Word document ({exc}); "
                        "open and re-save it in Word or LibreOffice.") from exc
    return "\n\n".join(b for b in blocks if b.strip()), title, {}


def _block_text(item: Any) -> str:
    if hasattr(item, "rows"):
        return "\n".join(_row_text(row) for row in item.rows)
    return item.text


def _row_text(row: Any) -> str:
    cells, seen = [], set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is returned once per grid column
            continue
        seen.add(id(cell._tc))
        cells.append(" ".join(cell.text.split()))
    return " | ".join(cells)


def _first_heading(document: Any) -> str:
    for paragraph in document.paragraphs[:50]:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style.startswith(("Heading", "Title")) and paragraph.text.strip():
            return paragraph.text.strip()
    return ""
