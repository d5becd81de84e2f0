"""Export the knowledge base in the formats ``kb.importing`` reads, so export -> import round-trips.

JSONL: one object per line, each article followed by its translations. Markdown: one file per
article (``<slug>.md``) and per translation (``<slug>.<locale>.md``), YAML front matter first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import frontmatter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.models import Article, ArticleContent
from kb.versions import current_versions, is_stale

_FRONT_MATTER = frontmatter.YAMLHandler()


def iter_export_records(session: Session) -> Iterator[dict[str, Any]]:
    """Every article, then its translations, as plain dicts with the import's field names."""
    articles = session.scalars(
        select(Article)
        .options(
            selectinload(Article.tag_rows),
            selectinload(Article.contents).selectinload(ArticleContent.question_rows),
        )
        .order_by(Article.slug)
    ).all()
    versions = current_versions(session, [article.id for article in articles])
    for article in articles:
        source = article.source
        yield {
            "slug": article.slug,
            "title": source.title,
            "kind": str(article.kind),
            "status": str(article.status),
            "locale": article.source_locale,
            "products": article.products,
            "tags": article.tags,
            "questions": source.questions,
            "body": source.body_markdown,
        }
        source_now = versions.get((article.id, article.source_locale), 0)
        for content in article.translations:
            record: dict[str, Any] = {
                "translation_of": article.slug,
                "locale": content.locale,
                "title": content.title,
                "status": str(content.status),
                "questions": content.questions,
                "body": content.body_markdown,
            }
            if is_stale(content, source_now):
                record["stale"] = True
            yield record


def write_jsonl(session: Session, stream: TextIO) -> int:
    count = 0
    for record in iter_export_records(session):
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def markdown_file_name(record: dict[str, Any]) -> str:
    if "translation_of" in record:
        return f"{record['translation_of']}.{record['locale']}.md"
    return f"{record['slug']}.md"


def to_markdown(record: dict[str, Any]) -> str:
    metadata = {key: value for key, value in record.items() if key != "body"}
    # Empty lists are left out: the file reads better and imports the same.
    metadata = {key: value for key, value in metadata.items() if value != []}
    front_matter = _FRONT_MATTER.export(metadata, sort_keys=False, width=1000)
    return f"---\n{front_matter}\n---\n\n{record['body']}\n"


def write_markdown_folder(session: Session, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for record in iter_export_records(session):
        path = folder / markdown_file_name(record)
        path.write_text(to_markdown(record), encoding="utf-8")
        written.append(path)
    return written
