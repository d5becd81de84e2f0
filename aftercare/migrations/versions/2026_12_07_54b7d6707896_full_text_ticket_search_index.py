"""full-text ticket search index

- ``ticket_search``: one row per ticket with its searchable text cut into words (number, subject,
  requester's name and e-mail, tags, public messages, internal notes), written by
  ``helpdesk.ticket_search`` in the transaction that changes the ticket.
- SQLite: ``ticket_fts``, an FTS5 external-content table over it, kept by triggers.
- PostgreSQL: ``document`` (everything) and ``public_document`` (no internal notes) tsvectors set
  by a trigger in the row's language configuration, and a GIN index on ``document``.
- Existing tickets are indexed here, with the words cut as ``helpdesk.ticket_search.words`` cuts
  them (this migration keeps its own copy: it may not import the help desk, and must not change
  when that does).

Revision ID: 54b7d6707896
Revises: ae15b8485a00
Create Date: 2026-12-07 18:22:12.034695
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "54b7d6707896"
down_revision: str | Sequence[str] | None = "ae15b8485a00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("number", "subject", "people", "tags", "public_text", "internal_text")
PG_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
MAX_FIELD_CHARS = 200_000
_THAI_RUN = "\u0e00-\u0e7f"
_THAI = re.compile(f"([{_THAI_RUN}]+)")
_WORD = re.compile(rf"(?:[^\W_]|[\u0300-\u036f\u0900-\u0dff{_THAI_RUN}\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff])+")


def _words(text: str) -> list[str]:
    found: list[str] = []
    for match in _WORD.finditer(text):
        if not _THAI.search(match.group()):
            found.append(match.group())
            continue
        for piece in _THAI.split(match.group()):
            if _THAI.fullmatch(piece):
                from pythainlp.tokenize import word_tokenize

                found.extend(w for w in word_tokenize(piece, engine="newmm", keep_whitespace=True) if w.strip())
            elif piece:
                found.append(piece)
    return found


def _field(texts: list[str]) -> str:
    return " ".join(" ".join(_words(text)) for text in texts if text)[:MAX_FIELD_CHARS]


def _create_sqlite() -> None:
    columns = ", ".join(COLUMNS)
    new = ", ".join(f"new.{name}" for name in COLUMNS)
    old = ", ".join(f"old.{name}" for name in COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE ticket_fts USING fts5({columns}, content='ticket_search', content_rowid='ticket_id', "
        # Marks are part of words (Thai vowels and tones, Indic signs); accents are folded.
        "tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")"
    )
    insert_new = f"INSERT INTO ticket_fts(rowid, {columns}) VALUES (new.ticket_id, {new});"
    delete_old = f"INSERT INTO ticket_fts(ticket_fts, rowid, {columns}) VALUES ('delete', old.ticket_id, {old});"
    op.execute(f"CREATE TRIGGER ticket_search_ai AFTER INSERT ON ticket_search BEGIN {insert_new} END")
    op.execute(f"CREATE TRIGGER ticket_search_ad AFTER DELETE ON ticket_search BEGIN {delete_old} END")
    op.execute(f"CREATE TRIGGER ticket_search_au AFTER UPDATE ON ticket_search BEGIN {delete_old} {insert_new} END")


def _create_postgresql() -> None:
    op.execute("ALTER TABLE ticket_search ADD COLUMN document tsvector, ADD COLUMN public_document tsvector")
    op.execute(
        """
        CREATE FUNCTION ticket_search_documents() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.public_document :=
               setweight(to_tsvector('simple', NEW.number), 'A')
            || setweight(to_tsvector(NEW.config::regconfig, NEW.subject), 'A')
            || setweight(to_tsvector('simple', NEW.people || ' ' || NEW.tags), 'B')
            || setweight(to_tsvector(NEW.config::regconfig, NEW.public_text), 'D');
          NEW.document := NEW.public_document
            || setweight(to_tsvector(NEW.config::regconfig, NEW.internal_text), 'D');
          RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER ticket_search_documents BEFORE INSERT OR UPDATE ON ticket_search "
        "FOR EACH ROW EXECUTE FUNCTION ticket_search_documents()"
    )
    op.execute("CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)")


def _backfill() -> None:
    connection = op.get_bind()
    bodies: dict[tuple[int, bool], list[str]] = {}
    for ticket_id, kind, body in connection.execute(sa.text("SELECT ticket_id, kind, body FROM messages ORDER BY id")):
        bodies.setdefault((ticket_id, kind == "internal_note"), []).append(body)
    tags: dict[int, list[str]] = {}
    for ticket_id, tag in connection.execute(sa.text("SELECT ticket_id, tag FROM ticket_tags")):
        tags.setdefault(ticket_id, []).append(tag)
    tickets = connection.execute(
        sa.text(
            "SELECT t.id, t.subject, t.language, c.name, c.email FROM tickets t "
            "JOIN customers c ON c.id = t.requester_id ORDER BY t.id"
        )
    ).all()
    index = sa.table("ticket_search", *(sa.column(name) for name in ("ticket_id", "config", *COLUMNS)))
    batch = []
    for ticket_id, subject, language, name, email in tickets:
        batch.append(
            {
                "ticket_id": ticket_id,
                "config": PG_CONFIGS.get(language.split("-")[0].lower(), "simple"),
                "number": str(ticket_id),
                "subject": _field([subject]),
                "people": _field([name or "", email]),
                "tags": _field(tags.get(ticket_id, [])),
                "public_text": _field(bodies.get((ticket_id, False), [])),
                "internal_text": _field(bodies.get((ticket_id, True), [])),
            }
        )
        if len(batch) == 1000:
            connection.execute(sa.insert(index), batch)
            batch = []
    if batch:
        connection.execute(sa.insert(index), batch)


def upgrade() -> None:
    op.create_table(
        "ticket_search",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.String(length=32), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in COLUMNS),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_search_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_search")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql()
    else:
        _create_sqlite()
    _backfill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("ticket_search")
        op.execute("DROP FUNCTION ticket_search_documents()")
    else:
        op.execute("DROP TABLE ticket_fts")
        op.drop_table("ticket_search")
