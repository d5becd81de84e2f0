"""Split a Markdown article into retrievable chunks along its headings and paragraphs.

Each chunk keeps its heading path, and its embedding text is prefixed with the article title and
that path, so "Refunds › Card payments: it takes 5 days" is matched by the paragraph that answers
while still knowing which article and section it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_WORDS = 60
MAX_WORDS = 200

_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[\u0e00-\u0e7f])\s+(?=[\u0e00-\u0e7f])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`+)(?=\S)(.+?)(?<=\S)\1")


@dataclass(frozen=True)
class Chunk:
    heading_path: tuple[str, ...]
    text: str  # plain text of the chunk, for snippets

    def context_text(self, title: str) -> str:
        """What gets embedded and indexed: title and heading path as context, then the text."""
        path = " › ".join(part for part in (title, *self.heading_path) if part)
        return f"{path}: {self.text}" if path else self.text


def markdown_to_text(markdown: str) -> str:
    """Inline Markdown to plain text (links keep their text, markup characters go)."""
    text = _IMAGE.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub(" ", text)
    for _ in range(2):  # nested emphasis such as ***x***
        text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def size_of(text: str) -> int:
    """Length in words; scripts without spaces (Thai, CJK) count about one word per five characters."""
    return max(len(text.split()), len(text) // 6)


def _blocks(markdown: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, block text) for every paragraph, list or code block, in order."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    path: list[tuple[int, str]] = []
    blocks: list[tuple[tuple[str, ...], str]] = []
    current: list[str] = []
    in_fence: str | None = None

    def heading_path() -> tuple[str, ...]:
        return tuple(title for _, title in path)

    def flush() -> None:
        if current:
            lines_ = current if in_fence else [markdown_to_text(line) for line in current]
            text = "\n".join(line for line in lines_ if line.strip())
            if text.strip():
                blocks.append((heading_path(), text.strip()))
            current.clear()

    def set_heading(level: int, title: str) -> None:
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, markdown_to_text(title)))

    for line in lines:
        fence = _FENCE.match(line)
        if in_fence:
            if fence and line.strip().startswith(in_fence):
                flush()
                in_fence = None
            else:
                current.append(line)
            continue
        if fence:
            flush()
            in_fence = fence.group(1)
            continue
        heading = _ATX.match(line)
        if heading:
            flush()
            set_heading(len(heading.group(1)), heading.group(2))
            continue
        setext = _SETEXT.match(line)
        if setext and len(current) == 1 and not _LIST_ITEM.match(current[0]):
            title = current.pop()
            set_heading(1 if setext.group(1).startswith("=") else 2, title)
            continue
        if not line.strip():
            flush()
            continue
        # A list item after a paragraph line starts a new block; items of one list stay together.
        if _LIST_ITEM.match(line) and current and not _LIST_ITEM.match(current[0]):
            flush()
        current.append(_LIST_ITEM.sub("• ", line, count=1) if _LIST_ITEM.match(line) else line.strip())
    flush()
    return blocks


def _split_long(text: str, max_words: int) -> list[str]:
    """Split an over-long block at sentence ends (or, failing that, at word boundaries)."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if size_of(sentence) > max_words:
            words = sentence.split()
            if len(words) <= 1:  # one long unspaced run (Thai/CJK): cut by characters
                step = max_words * 6
                parts = [sentence[i : i + step] for i in range(0, len(sentence), step)]
            else:
                parts = [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.extend(parts)
            continue
        if current and size_of(" ".join([*current, sentence])) > max_words:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunk_markdown(markdown: str, *, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Chunks of about ``min_words``..``max_words``; never merged across headings, so a short
    section that answers one question stays a chunk of its own."""
    chunks: list[Chunk] = []
    pending: list[str] = []
    pending_path: tuple[str, ...] | None = None

    def emit() -> None:
        if not pending:
            return
        text = "\n".join(pending)
        previous = chunks[-1] if chunks else None
        # A short tail of a section joins the chunk before it rather than standing alone.
        if (
            previous is not None
            and previous.heading_path == (pending_path or ())
            and size_of(text) < min_words // 2
            and size_of(previous.text) + size_of(text) <= max_words
        ):
            chunks[-1] = Chunk(previous.heading_path, previous.text + "\n" + text)
        else:
            chunks.append(Chunk(pending_path or (), text))
        pending.clear()

    for path, text in _blocks(markdown):
        if path != pending_path:
            emit()
            pending_path = path
        for piece in _split_long(text, max_words) if size_of(text) > max_words else [text]:
            if pending and (
                size_of("\n".join(pending)) >= min_words or size_of("\n".join([*pending, piece])) > max_words
            ):
                emit()
            pending.append(piece)
    emit()
    return chunks
