"""Differences between two versions of an article's text, as rows for a side-by-side table.

difflib compares lines; a changed line is compared again word by word so that the table marks
exactly what changed. Rows hold plain text segments: the template escapes them (never ``|safe``),
so a ``<script>`` in an article's history is shown as text like everything else.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Protocol

CONTEXT_LINES = 2
_WORDS = re.compile(r"(\s+)")


class VersionText(Protocol):
    title: str
    body_markdown: str
    questions: list[str]


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass
class DiffRow:
    # "equal", "delete", "insert", "replace", or "skip" (unchanged lines folded away).
    kind: str
    old_number: int | None = None
    new_number: int | None = None
    old: list[Segment] = field(default_factory=list)
    new: list[Segment] = field(default_factory=list)
    skipped: int = 0


@dataclass
class FieldDiff:
    name: str
    rows: list[DiffRow]

    @property
    def changed(self) -> bool:
        return any(row.kind not in ("equal", "skip") for row in self.rows)


@dataclass
class VersionDiff:
    old_label: str
    new_label: str
    fields: list[FieldDiff]

    @property
    def changed(self) -> bool:
        return any(one.changed for one in self.fields)


def _word_segments(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    old_words, new_words = _WORDS.split(old), _WORDS.split(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(old_words[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(new_words[j1:j2]), tag != "equal"))
    return left, right


def _fold_equal(rows: list[DiffRow]) -> list[DiffRow]:
    """Keep a few unchanged lines around each change; fold longer unchanged runs into one row."""
    folded: list[DiffRow] = []
    index = 0
    while index < len(rows):
        if rows[index].kind != "equal":
            folded.append(rows[index])
            index += 1
            continue
        end = index
        while end < len(rows) and rows[end].kind == "equal":
            end += 1
        run = rows[index:end]
        keep_before = CONTEXT_LINES if index > 0 else 0
        keep_after = CONTEXT_LINES if end < len(rows) else 0
        if len(run) > keep_before + keep_after + 1:
            folded.extend(run[:keep_before])
            folded.append(DiffRow(kind="skip", skipped=len(run) - keep_before - keep_after))
            folded.extend(run[len(run) - keep_after :] if keep_after else [])
        else:
            folded.extend(run)
        index = end
    return folded


def line_diff(old_text: str, new_text: str, *, fold: bool = True) -> list[DiffRow]:
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                line = old_lines[i1 + offset]
                rows.append(
                    DiffRow("equal", i1 + offset + 1, j1 + offset + 1, [Segment(line, False)], [Segment(line, False)])
                )
        elif tag == "replace":
            for offset in range(max(i2 - i1, j2 - j1)):
                old_line = old_lines[i1 + offset] if i1 + offset < i2 else None
                new_line = new_lines[j1 + offset] if j1 + offset < j2 else None
                if old_line is not None and new_line is not None:
                    left, right = _word_segments(old_line, new_line)
                    rows.append(DiffRow("replace", i1 + offset + 1, j1 + offset + 1, left, right))
                elif old_line is not None:
                    rows.append(DiffRow("delete", i1 + offset + 1, None, [Segment(old_line, True)]))
                else:
                    rows.append(DiffRow("insert", None, j1 + offset + 1, [], [Segment(new_line or "", True)]))
        elif tag == "delete":
            for index in range(i1, i2):
                rows.append(DiffRow("delete", index + 1, None, [Segment(old_lines[index], True)]))
        else:
            for index in range(j1, j2):
                rows.append(DiffRow("insert", None, index + 1, [], [Segment(new_lines[index], True)]))
    return _fold_equal(rows) if fold else rows


def text_diff(old: VersionText, new: VersionText, *, old_label: str, new_label: str) -> VersionDiff:
    return VersionDiff(
        old_label=old_label,
        new_label=new_label,
        fields=[
            FieldDiff("title", line_diff(old.title, new.title)),
            FieldDiff("questions", line_diff("\n".join(old.questions), "\n".join(new.questions))),
            FieldDiff("body", line_diff(old.body_markdown, new.body_markdown)),
        ],
    )


def version_diff(old, new) -> VersionDiff:
    """Between two ``ArticleVersion`` rows (older first)."""
    return text_diff(old, new, old_label=f"v{old.version}", new_label=f"v{new.version}")
