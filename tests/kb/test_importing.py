"""Import and export: validation before writing, file and line in every error, all or nothing,
idempotent by slug, and export -> import round trips in both formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb import exporting, service, translations, versions
from kb.importing import ImportFailed, import_records, read_import_path
from kb.models import Article
from kb.schemas import ArticleUpdate
from tests.kb.factories import add_translation, create_article, stale_translations

RESET = """---
slug: nimbus-factory-reset
title: Factory reset the Nimbus thermostat
kind: troubleshooting
status: published
locale: en
products: [nimbus]
tags: [reset]
questions:
  - How do I factory reset my thermostat?
  - How do I wipe my thermostat before moving house?
---

## Steps

1. Press and hold the dial for 10 seconds.
2. Release it when the ring blinks orange.
"""
RESET_PL = """---
translation_of: nimbus-factory-reset
locale: pl
title: Przywracanie ustawień fabrycznych termostatu Nimbus
status: published
questions:
  - Jak zresetować termostat do ustawień fabrycznych?
---

1. Naciśnij i przytrzymaj pokrętło przez 10 sekund.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def article_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Article))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        read_import_path(path)
    return failure.value.problems


def import_path(session, path: Path, **options):
    return import_records(session, read_import_path(path), **options)


def test_folder_import_creates_articles_and_translations(session, tmp_path):
    write(tmp_path, "reset.md", RESET)
    write(tmp_path, "reset.pl.md", RESET_PL)
    report = import_path(session, tmp_path)
    assert (report.created, report.updated) == (["nimbus-factory-reset", "nimbus-factory-reset [pl]"], [])
    article = service.get_article_by_slug(session, "nimbus-factory-reset")
    assert (article.status, article.products, article.tags) == ("published", ["nimbus"], ["reset"])
    assert article.source.body_markdown.startswith("## Steps")
    assert article.content("pl").questions == ["Jak zresetować termostat do ustawień fabrycznych?"]


def test_jsonl_import_creates_articles(session, tmp_path):
    lines = [
        {"slug": "pulse-pairing", "title": "Pair Pulse earbuds", "kind": "usage_tip", "body": "Open the case."},
        {"translation_of": "pulse-pairing", "locale": "th", "title": "จับคู่หูฟัง Pulse", "body": "เปิดฝากล่อง"},
    ]
    path = write(tmp_path, "kb.jsonl", "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    report = import_path(session, path)
    assert len(report.created) == 2
    assert service.get_article_by_slug(session, "pulse-pairing").content("th").title == "จับคู่หูฟัง Pulse"


def test_reimport_of_the_same_files_changes_nothing(session, tmp_path):
    write(tmp_path, "reset.md", RESET)
    write(tmp_path, "reset.pl.md", RESET_PL)
    import_path(session, tmp_path)
    report = import_path(session, tmp_path)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, 2)
    article = service.get_article_by_slug(session, "nimbus-factory-reset")
    assert versions.current_version(session, article.id, "en") == 1


def test_reimport_updates_only_what_changed(session, tmp_path):
    write(tmp_path, "reset.md", RESET)
    write(tmp_path, "reset.pl.md", RESET_PL)
    import_path(session, tmp_path)
    write(tmp_path, "reset.md", RESET.replace("10 seconds", "15 seconds"))
    report = import_path(session, tmp_path)
    assert (report.updated, report.unchanged) == (["nimbus-factory-reset"], ["nimbus-factory-reset [pl]"])
    article = service.get_article_by_slug(session, "nimbus-factory-reset")
    assert versions.current_version(session, article.id, "en") == 2
    assert stale_translations(session, article) == [article.content("pl")]


def test_status_only_change_updates_without_a_new_version(session, tmp_path):
    write(tmp_path, "reset.md", RESET)
    import_path(session, tmp_path)
    write(tmp_path, "reset.md", RESET.replace("status: published", "status: archived"))
    report = import_path(session, tmp_path)
    article = service.get_article_by_slug(session, "nimbus-factory-reset")
    assert (report.updated, article.status) == (["nimbus-factory-reset"], "archived")
    assert versions.current_version(session, article.id, "en") == 1


def test_only_missing_leaves_existing_articles_alone(session, tmp_path):
    write(tmp_path, "reset.md", RESET)
    import_path(session, tmp_path)
    write(tmp_path, "reset.md", RESET.replace("10 seconds", "15 seconds"))
    write(tmp_path, "reset.pl.md", RESET_PL)
    report = import_path(session, tmp_path, only_missing=True)
    assert (report.created, report.unchanged) == (["nimbus-factory-reset [pl]"], ["nimbus-factory-reset"])
    assert "10 seconds" in service.get_article_by_slug(session, "nimbus-factory-reset").source.body_markdown


def test_bad_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.md", "---\ntitle: Reset\nkind: troubleshooting\nquestions: [unclosed\n---\nBody\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:") and "invalid YAML" in problem
    line = int(problem.split(":")[1])
    assert 4 <= line <= 5


def test_missing_title_names_the_file(tmp_path):
    path = write(tmp_path, "untitled.md", "---\nkind: faq\n---\nBody\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:1:") and "title" in problem and "required" in problem


def test_unknown_kind_names_the_line_of_the_field(tmp_path):
    path = write(tmp_path, "kind.md", "---\ntitle: Reset\nstatus: draft\nkind: recipe\n---\nBody\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:4: kind:")


def test_empty_body_names_the_line_where_the_body_starts(tmp_path):
    path = write(tmp_path, "empty.md", "---\ntitle: Reset\nkind: faq\n---\n\n   \n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:5: body:")


def test_file_without_front_matter_is_refused(tmp_path):
    path = write(tmp_path, "plain.md", "# Just Markdown\n")
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:1:") and "front matter" in problem


def test_bad_json_line_names_its_line_number(tmp_path):
    good = json.dumps({"slug": "a", "title": "A", "kind": "faq", "body": "x"})
    path = write(tmp_path, "kb.jsonl", f'{good}\n\n{{"title": "B", oops}}\n')
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:3: invalid JSON")


def test_invalid_record_in_jsonl_names_its_line_and_field(tmp_path):
    good = json.dumps({"slug": "a", "title": "A", "kind": "faq", "body": "x"})
    bad = json.dumps({"slug": "b", "title": "B", "kind": "faq"})
    path = write(tmp_path, "kb.jsonl", f"{good}\n{bad}\n")
    [problem] = problems_of(path)
    assert problem == f"{path}:2: body: Field required"


def test_every_bad_file_is_reported_at_once(tmp_path):
    write(tmp_path, "a.md", "---\nkind: faq\n---\nBody\n")
    write(tmp_path, "b.md", "---\ntitle: B\nkind: nope\n---\nBody\n")
    write(tmp_path, "good.md", RESET)
    assert len(problems_of(tmp_path)) == 2


def test_unsupported_locale_is_refused(tmp_path):
    path = write(tmp_path, "de.md", RESET.replace("locale: en", "locale: de"))
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{path}:1: locale:") and "not supported" in problem


def test_duplicate_slugs_name_both_files(tmp_path):
    first = write(tmp_path, "a.md", RESET)
    second = write(tmp_path, "b.md", RESET)
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{second}:1:") and str(first) in problem


def test_translation_with_article_fields_is_refused(tmp_path):
    write(tmp_path, "pl.md", RESET_PL.replace("locale: pl", "locale: pl\nproducts: [nimbus]"))
    [problem] = problems_of(tmp_path)
    assert "products" in problem and "translation" in problem


def test_bad_file_means_nothing_is_imported(session, tmp_path):
    write(tmp_path, "good.md", RESET)
    write(tmp_path, "bad.md", "---\ntitle: B\nkind: nope\n---\nBody\n")
    before = article_count(session)
    with pytest.raises(ImportFailed):
        import_path(session, tmp_path)
    assert article_count(session) == before


def test_failure_while_writing_leaves_nothing_half_imported(database, tmp_path):
    write(tmp_path, "good.md", RESET)
    write(tmp_path, "orphan.pl.md", RESET_PL.replace("translation_of: nimbus-factory-reset", "translation_of: missing"))
    records = read_import_path(tmp_path)
    with pytest.raises(ImportFailed) as failure:
        with database.session() as session:
            import_records(session, records)
    assert "orphan.pl.md" in failure.value.problems[0] and "missing" in failure.value.problems[0]
    with database.session() as session:
        assert service.find_article_by_slug(session, "nimbus-factory-reset") is None


def _export_jsonl(session) -> str:
    stream = io.StringIO()
    exporting.write_jsonl(session, stream)
    return stream.getvalue()


def _sample_knowledge_base(session) -> None:
    article = create_article(
        session,
        title="Pair Pulse earbuds",
        kind="usage_tip",
        status="published",
        products=["pulse"],
        tags=["bluetooth"],
        questions=["How do I pair my earbuds?"],
    )
    add_translation(session, article, locale="th", title="จับคู่หูฟัง Pulse", status="published")
    add_translation(session, article, locale="pl", title="Parowanie słuchawek Pulse")
    service.update_article(session, article, ArticleUpdate(body="## Pairing\n\n1. Open the case.\n2. Hold the button."))
    translations.update_translation(session, article, "th", translations.TranslationUpdate(body="เปิดฝากล่อง"))
    create_article(session, title="รีเซ็ตหูฟัง", locale="th", kind="faq", status="archived", products=[], tags=[])


def _delete_all_articles(session) -> None:
    for article in session.scalars(select(Article)).all():
        service.delete_article(session, article)


def test_export_then_import_into_the_same_database_changes_nothing(session, tmp_path):
    _sample_knowledge_base(session)
    path = write(tmp_path, "kb.jsonl", _export_jsonl(session))
    report = import_path(session, path)
    assert (report.created, report.updated, len(report.unchanged)) == ([], [], 4)


def test_jsonl_round_trip_into_an_empty_database(session, tmp_path):
    _sample_knowledge_base(session)
    exported = _export_jsonl(session)
    _delete_all_articles(session)
    import_path(session, write(tmp_path, "kb.jsonl", exported))
    assert _export_jsonl(session) == exported


def test_markdown_round_trip_into_an_empty_database(session, tmp_path):
    _sample_knowledge_base(session)
    exported = _export_jsonl(session)
    written = exporting.write_markdown_folder(session, tmp_path / "out")
    assert {p.name for p in written} >= {"pair-pulse-earbuds.md", "pair-pulse-earbuds.th.md", "รีเซ็ตหูฟัง.md"}
    _delete_all_articles(session)
    import_path(session, tmp_path / "out")
    assert _export_jsonl(session) == exported


def test_stale_flag_survives_the_round_trip(session, tmp_path):
    _sample_knowledge_base(session)
    exported = [json.loads(line) for line in _export_jsonl(session).splitlines()]
    assert [r.get("stale", False) for r in exported if r.get("translation_of")] == [True, False]
    _delete_all_articles(session)
    import_path(session, write(tmp_path, "kb.jsonl", "\n".join(json.dumps(r) for r in exported)))
    article = service.get_article_by_slug(session, "pair-pulse-earbuds")
    assert [c.locale for c in stale_translations(session, article)] == ["pl"]
