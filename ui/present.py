"""What the UI shows for agent events, as Markdown text: pure functions, no Chainlit, so they are
tested without a browser. ui/render.py puts the results into Chainlit messages and steps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from agent.events import Citation, RetrievalDone
from memory.parts import Passage
from ui.text import UIText

SNIPPET_CHARS = 220


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)


def one_line(text: str, limit: int = SNIPPET_CHARS) -> str:
    """A passage as one short line (Markdown heading marks dropped)."""
    flat = " ".join(_HEADING.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value) if value else ""


def passage_kind(passage: Passage) -> str:
    """document, turn (a remembered conversation) or fact (something the user told)."""
    kind = getattr(passage, "kind", "")
    if kind:
        return str(kind)
    return "fact" if passage.source == "memory" else "document"


def source_label(passage: Passage, text: UIText) -> str:
    """Where a passage comes from, for people: the document's name, or which conversation."""
    kind = passage_kind(passage)
    if kind == "turn":
        at = _when(getattr(passage, "at", None))
        return text("remembered_at", at=at) if at else text("remembered_turn")
    if kind == "fact":
        return text("fact_source")
    return passage.source or passage.id or "?"


def retrieval_markdown(event: RetrievalDone, text: UIText) -> str:
    """The retrieval step: what was found, which of it bears on the question, facts, notes."""
    if not event.evidence and not event.facts:
        lines = [text("found_nothing")]
    else:
        key = "found_with_facts" if event.facts else "found"
        lines = [text(key, passages=len(event.evidence), facts=len(event.facts), seconds=event.seconds)]
    if event.evidence:
        lines += ["", f"**{text('passages_header')}**", ""]
        relevant = set(event.relevant)
        for i, passage in enumerate(event.evidence):
            mark = text("relevant") if i in relevant else text("not_relevant")
            lines.append(f"{i + 1}. **{md_escape(source_label(passage, text))}** ({mark}): "
                         f"{md_escape(one_line(passage.text))}")
    if event.facts:
        lines += ["", f"**{text('facts_header')}**", ""]
        lines += [f"- {md_escape(fact.text)}" for fact in event.facts]
    lines += [text("note", note=md_escape(note)) for note in event.notes]
    return "\n".join(lines)


def citation_name(number: int) -> str:
    """The element name: Chainlit turns each occurrence of it in the answer into a link."""
    return f"[{number}]"


def citation_markdown(citation: Citation, text: UIText) -> str:
    """The side panel of one citation: where the passage comes from, then the passage itself."""
    passage = citation.passage
    header = f"**{citation_name(citation.number)} {md_escape(source_label(passage, text))}**"
    detail = f"`{passage.id}`" if passage.id else ""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in passage.text.strip().splitlines())
    return "\n\n".join(part for part in (header, detail, quoted) if part)


def sources_markdown(citations: Sequence[Citation], text: UIText) -> str:
    if not citations:
        return ""
    items = " · ".join(f"{citation_name(c.number)} {md_escape(source_label(c.passage, text))}"
                       for c in citations)
    return f"**{text('sources')}:** {items}"


def unsupported_sentences(verification: Any) -> list[str]:
    if verification is None:
        return []
    return [s.text for s in getattr(verification, "sentences", ())
            if not s.supported and getattr(s, "claim", True) and s.text.strip()]


_TERMINAL = ".!?。！？；;…\"'”’)）"


def mark_unsupported(answer: str, sentences: Iterable[str], text: UIText) -> tuple[str, bool]:
    """The answer with a mark after each unsupported sentence (before its closing punctuation and
    any mark the agent put there); whether any was marked."""
    marked = False
    mark = text("unsupported_mark")
    for sentence in sentences:
        core = sentence.strip().rstrip(_TERMINAL).rstrip()
        at = answer.find(core) if core else -1
        if at < 0:
            continue
        end = at + len(core)
        if answer[end:].lstrip().startswith(mark):
            continue
        answer = f"{answer[:end]} {mark}{answer[end:]}"
        marked = True
    return answer, marked


def answer_markdown(answer: str, verification: Any, citations: Sequence[Citation], text: UIText) -> str:
    """The final answer as shown: unsupported sentences marked, then the sources."""
    body, marked = mark_unsupported(answer.strip(), unsupported_sentences(verification), text)
    parts = [body]
    if marked:
        parts.append(f"_{text('unsupported_legend')}_")
    sources = sources_markdown(citations, text)
    if sources:
        parts.append(sources)
    return "\n\n".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def md_escape(value: str) -> str:
    """Text from documents shown as-is: Markdown and HTML characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", value)
