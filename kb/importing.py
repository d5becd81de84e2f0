"""Import articles and translations from Markdown files with YAML front matter, or from JSONL.

Two phases. Reading validates every file and collects every problem with its file and line;
if there is any, nothing touches the database. Applying then writes all records in the caller's
transaction (sources before translations) and raises ``ImportFailed`` for anything only the
database can tell, so the caller's rollback leaves nothing half-imported.

Import is declarative and idempotent by slug: a record creates its article, updates it when a
field differs (a text change is a new version), or leaves it alone. The file's status is the
outcome to reach, so import sets it directly rather than walking the editorial state machine.

Front matter fields: slug, title, kind, status, locale, products, tags, questions, and for a
translation ``translation_of`` (the source article's slug) plus optional ``stale: true`` (made
from an older source text) or ``stale: false`` (matches the current source); left out, a new
translation counts as current and an existing one keeps what the database knows. The status
defaults to draft. JSONL lines carry the same fields plus ``body``. README.md files are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import ValidationError, model_validator
from sqlalchemy.orm import Session

from accounts.models import User
from aftercare.config import get_settings
from aftercare.errors import DomainError, ValidationFailed
from helpdesk.schemas import LanguageTag
from kb import service, translations
from kb.models import Article, ArticleKind, ArticleStatus
from kb.schemas import (
    ArticleCreate,
    ArticleUpdate,
    Body,
    Questions,
    Slug,
    StrictInput,
    Tags,
    Title,
    TranslationCreate,
    TranslationUpdate,
)
from kb.versions import current_version, is_stale

_FRONT_MATTER = frontmatter.YAMLHandler()
_SKIPPED_FILE_NAMES = {"readme.md"}


class ImportRecord(StrictInput):
    """One article (source text) or one translation, as a file or a JSONL line states it."""

    slug: Slug | None = None
    title: Title
    kind: ArticleKind | None = None
    status: ArticleStatus = ArticleStatus.DRAFT
    locale: LanguageTag | None = None
    products: Tags = []
    tags: Tags = []
    questions: Questions = []
    translation_of: Slug | None = None
    # Translations only: true = made from an older source text, false = matches the current one,
    # left out = as the database already knows it (a new translation counts as current).
    stale: bool | None = None
    body: Body

    @model_validator(mode="after")
    def _source_or_translation(self) -> ImportRecord:
        if self.translation_of is None:
            if self.kind is None:
                raise ValueError("kind is required for an article (usage_tip, troubleshooting or faq)")
            if self.stale is not None:
                raise ValueError("stale applies to translations only (with translation_of)")
        else:
            extra = [name for name in ("slug", "kind") if getattr(self, name) is not None]
            extra += [name for name in ("products", "tags") if getattr(self, name)]
            if extra:
                raise ValueError(
                    f"{', '.join(extra)}: a translation takes these from its article ({self.translation_of})"
                )
            if self.locale is None:
                raise ValueError("locale is required for a translation")
        return self

    @property
    def is_translation(self) -> bool:
        return self.translation_of is not None


@dataclass(frozen=True)
class Location:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class LocatedRecord:
    record: ImportRecord
    where: Location
    # The slug of the article this record is or translates; the locale it is written in.
    article_slug: str
    locale: str

    @property
    def label(self) -> str:
        return f"{self.article_slug} [{self.locale}]" if self.record.is_translation else self.article_slug


class ImportFailed(ValidationFailed):
    """Every problem found, each naming its file and line; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"import failed with {count}; nothing was imported", details=problems)
        self.problems = problems


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


# Reading and validating ---------------------------------------------------------------------


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _key_line(front_matter_lines: list[str], key: str, first_line: int) -> int | None:
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for offset, line in enumerate(front_matter_lines):
        if pattern.match(line):
            return first_line + offset
    return None


def _decode(path: Path, raw: bytes, problems: list[str]) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not UTF-8 text ({error.reason})")
        return None


def _read_markdown_file(path: Path, problems: list[str]) -> tuple[dict[str, Any], list[str], int] | None:
    """The record's fields, the front matter's lines (from line 2) and the line the body starts on.

    Problems are appended to ``problems``, not raised, so that one run reports every bad file.
    """
    text = _decode(path, path.read_bytes(), problems)
    if text is None:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.append(f"{path}:1: no front matter: the file must start with a '---' line, then YAML, then '---'")
        return None
    closing = next((index for index in range(1, len(lines)) if lines[index].rstrip() == "---"), None)
    if closing is None:
        problems.append(f"{path}:1: the front matter opened on line 1 is never closed with a '---' line")
        return None
    front_matter_lines = lines[1:closing]
    try:
        metadata = _FRONT_MATTER.load("\n".join(front_matter_lines))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = 2 + mark.line if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        problems.append(f"{path}:{line}: invalid YAML in front matter: {problem}")
        return None
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        problems.append(f"{path}:2: front matter must be a mapping of fields (title: ..., kind: ...)")
        return None
    if "body" in metadata:
        line = _key_line(front_matter_lines, "body", 2) or 2
        problems.append(f"{path}:{line}: 'body' is the Markdown after the front matter, not a front matter field")
        return None
    body_line = closing + 2
    fields = {**metadata, "body": "\n".join(lines[closing + 1 :])}
    return fields, front_matter_lines, body_line


def _validate(
    fields: Any, where: Location, problems: list[str], *, line_of: Callable[[str], int | None] = lambda _key: None
) -> ImportRecord | None:
    try:
        return ImportRecord.model_validate(fields)
    except ValidationError as error:
        for item in error.errors():
            key = str(item["loc"][0]) if item.get("loc") else ""
            line = line_of(key) or where.line
            problems.append(f"{where.path}:{line}: {_describe(item)}")
        return None


def read_markdown_folder(folder: Path, problems: list[str]) -> list[tuple[ImportRecord, Location]]:
    found: list[tuple[ImportRecord, Location]] = []
    paths = sorted(p for p in folder.rglob("*.md") if p.is_file() and p.name.lower() not in _SKIPPED_FILE_NAMES)
    if not paths:
        problems.append(f"{folder}: no Markdown (.md) files found")
    for path in paths:
        found.extend(read_markdown_file(path, problems))
    return found


def read_markdown_file(path: Path, problems: list[str]) -> list[tuple[ImportRecord, Location]]:
    parsed = _read_markdown_file(path, problems)
    if parsed is None:
        return []
    fields, front_matter_lines, body_line = parsed

    def line_of(key: str) -> int | None:
        return body_line if key == "body" else _key_line(front_matter_lines, key, 2)

    record = _validate(fields, Location(path, 1), problems, line_of=line_of)
    return [(record, Location(path, 1))] if record is not None else []


def read_jsonl_file(path: Path, problems: list[str]) -> list[tuple[ImportRecord, Location]]:
    text = _decode(path, path.read_bytes(), problems)
    if text is None:
        return []
    found: list[tuple[ImportRecord, Location]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = Location(path, number)
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: invalid JSON at column {error.colno}: {error.msg}")
            continue
        if not isinstance(fields, dict):
            problems.append(f"{where}: each line must be a JSON object with title, body, ...")
            continue
        record = _validate(fields, where, problems)
        if record is not None:
            found.append((record, where))
    if not found and not problems:
        problems.append(f"{path}: no records found")
    return found


def _locate(records: list[tuple[ImportRecord, Location]], problems: list[str]) -> list[LocatedRecord]:
    """Resolve slugs and locales, and find clashes between records (before any database work)."""
    default_locale = get_settings().default_language
    located: list[LocatedRecord] = []
    seen: dict[tuple[str, str | None], Location] = {}
    source_locale: dict[str, str] = {}
    for record, where in records:
        try:
            locale = service.supported_locale(record.locale or default_locale)
        except ValidationFailed as error:
            problems.append(f"{where}: locale: {error.message}")
            continue
        if record.translation_of is not None:
            slug, key = record.translation_of, (record.translation_of, locale)
        else:
            slug = record.slug or service.slugify(record.title)
            key = (slug, None)
            source_locale[slug] = locale
        if key in seen:
            what = f"a second {locale} translation of {slug!r}" if key[1] else f"a second article with slug {slug!r}"
            problems.append(f"{where}: {what} (first at {seen[key]})")
            continue
        seen[key] = where
        located.append(LocatedRecord(record, where, slug, locale))
    for item in located:
        if item.record.is_translation and source_locale.get(item.article_slug) == item.locale:
            problems.append(
                f"{item.where}: {item.locale} is the source locale of {item.article_slug!r}, not a translation"
            )
    return located


def read_import_path(path: Path) -> list[LocatedRecord]:
    """Read and validate a folder of .md files, one .md file or a .jsonl file; ImportFailed on any problem."""
    problems: list[str] = []
    if path.is_dir():
        records = read_markdown_folder(path, problems)
    elif path.is_file() and path.suffix.lower() in (".jsonl", ".ndjson"):
        records = read_jsonl_file(path, problems)
    elif path.is_file() and path.suffix.lower() == ".md":
        records = read_markdown_file(path, problems)
    elif not path.exists():
        raise ImportFailed([f"{path}: no such file or folder"])
    else:
        raise ImportFailed([f"{path}: expected a folder of .md files, a .md file or a .jsonl file"])
    located = _locate(records, problems)
    if problems:
        raise ImportFailed(problems)
    return located


# Applying -----------------------------------------------------------------------------------


def _source_changes(article: Article, record: ImportRecord) -> ArticleUpdate:
    source = article.source
    wanted: dict[str, Any] = {
        "title": record.title,
        "body": record.body,
        "questions": record.questions,
        "kind": record.kind,
        "status": record.status,
        "products": record.products,
        "tags": record.tags,
    }
    current: dict[str, Any] = {
        "title": source.title,
        "body": source.body_markdown,
        "questions": source.questions,
        "kind": article.kind,
        "status": article.status,
        "products": article.products,
        "tags": article.tags,
    }
    return ArticleUpdate(**{key: value for key, value in wanted.items() if value != current[key]})


def _apply_source(session: Session, item: LocatedRecord, author: User | None, report: ImportReport) -> None:
    record = item.record
    article = service.find_article_by_slug(session, item.article_slug)
    if article is None:
        data = ArticleCreate(
            title=record.title,
            body=record.body,
            kind=record.kind,
            locale=item.locale,
            status=record.status,
            slug=item.article_slug,
            products=record.products,
            tags=record.tags,
            questions=record.questions,
        )
        service.create_article(session, data, author=author)
        report.created.append(item.label)
        return
    if article.source_locale != item.locale:
        raise ValidationFailed(
            f"article {article.slug!r} is written in {article.source_locale}; an import cannot change that to {item.locale}"
        )
    changes = _source_changes(article, record)
    if not changes.model_fields_set:
        report.unchanged.append(item.label)
        return
    service.update_article(session, article, changes, author=author, enforce_transitions=False)
    report.updated.append(item.label)


def _apply_translation(session: Session, item: LocatedRecord, author: User | None, report: ImportReport) -> None:
    record = item.record
    article = service.find_article_by_slug(session, item.article_slug)
    if article is None:
        raise ValidationFailed(
            f"translation_of: no article with slug {item.article_slug!r} (in the database or this import)"
        )
    if article.source_locale == item.locale:
        raise ValidationFailed(f"{item.locale} is the source locale of {article.slug!r}, not a translation")
    source_now = current_version(session, article.id, article.source_locale)
    # "stale: true" survives a round trip as "made from a source version older than the current one".
    stale_version = max(source_now - 1, 0)
    content = article.content(item.locale)
    if content is None:
        data = TranslationCreate(
            locale=item.locale,
            title=record.title,
            body=record.body,
            questions=record.questions,
            status=record.status,
            source_version=stale_version if record.stale else source_now,
        )
        translations.add_translation(session, article, data, author=author)
        report.created.append(item.label)
        return
    changes: dict[str, Any] = {}
    if record.title != content.title:
        changes["title"] = record.title
    if record.body != content.body_markdown:
        changes["body"] = record.body
    if record.questions != content.questions:
        changes["questions"] = record.questions
    if record.status != content.status:
        changes["status"] = record.status
    if record.stale is not None and record.stale != is_stale(content, source_now):
        changes["source_version"] = stale_version if record.stale else source_now
    elif record.stale is not None and {"title", "body", "questions"} & changes.keys():
        # New text would count as translated from the current source; the file says otherwise.
        changes["source_version"] = content.source_version
    if not changes:
        report.unchanged.append(item.label)
        return
    translations.update_translation(
        session, article, item.locale, TranslationUpdate(**changes), author=author, enforce_transitions=False
    )
    report.updated.append(item.label)


def import_records(
    session: Session,
    records: Iterable[LocatedRecord],
    *,
    author: User | None = None,
    only_missing: bool = False,
    on_record: Callable[[LocatedRecord], None] | None = None,
) -> ImportReport:
    """Write validated records in the session's transaction; ImportFailed names the failing file.

    ``only_missing`` creates what is not there and leaves existing articles and translations
    alone (demo data must never undo an admin's edits).
    """
    report = ImportReport()
    ordered = sorted(records, key=lambda item: item.record.is_translation)
    for item in ordered:
        try:
            if only_missing and _exists(session, item):
                report.unchanged.append(item.label)
            elif item.record.is_translation:
                _apply_translation(session, item, author, report)
            else:
                _apply_source(session, item, author, report)
        except DomainError as error:
            raise ImportFailed([f"{item.where}: {error.message}"]) from error
        if on_record is not None:
            on_record(item)
    return report


def _exists(session: Session, item: LocatedRecord) -> bool:
    article = service.find_article_by_slug(session, item.article_slug)
    if article is None:
        return False
    return not item.record.is_translation or article.content(item.locale) is not None
