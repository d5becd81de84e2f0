"""full-text ticket search: narrow PostgreSQL vector table

PostgreSQL only (SQLite's FTS5 index is unchanged). The ``document`` and ``public_document``
tsvectors move out of the wide ``ticket_search`` row (its texts make it ~1.4 KB, with most of a
ticket in TOAST storage) into ``ticket_search_vectors``: one row per ticket, its id and the two
vectors. The vectors are always stored out of line (``toast_tuple_target`` at its minimum, lz4),
so the table's own pages hold ~100 rows each (~7 MB at 100k tickets, in shared buffers): gathering
a word's matches from the GIN index and ordering them newest first reads only those pages, and a
vector is read from TOAST only when it is tested or ranked.

A trigger on ``ticket_search`` (after insert or update) writes the row; a ticket's ``ticket_search``
row deleted takes its vectors with it (foreign key, on delete cascade).

Revision ID: 15d2f75e0007
Revises: 18a0s1a00006
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "15d2f75e0007"
down_revision: str | Sequence[str] | None = "18a0s1a00006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The documents as 54b7d6707896 built them; only where they are written changes.
_PUBLIC = """
               setweight(to_tsvector('simple', NEW.number), 'A')
            || setweight(to_tsvector(NEW.config::regconfig, NEW.subject), 'A')
            || setweight(to_tsvector('simple', NEW.people || ' ' || NEW.tags), 'B')
            || setweight(to_tsvector(NEW.config::regconfig, NEW.public_text), 'D')"""
_INTERNAL = "setweight(to_tsvector(NEW.config::regconfig, NEW.internal_text), 'D')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "ticket_search_vectors",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        sa.Column("public_document", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket_search.ticket_id"],
            name=op.f("fk_ticket_search_vectors_ticket_id_ticket_search"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_search_vectors")),
        # 128 is the least PostgreSQL takes: any vector worth compressing goes to TOAST.
        postgresql_with={"toast_tuple_target": 128},
    )
    # lz4: a ranked vector is decompressed on every search; lz4 does that several times faster than pglz.
    op.execute("ALTER TABLE ticket_search_vectors ALTER COLUMN document SET COMPRESSION lz4")
    op.execute("ALTER TABLE ticket_search_vectors ALTER COLUMN public_document SET COMPRESSION lz4")
    op.execute(
        "INSERT INTO ticket_search_vectors (ticket_id, document, public_document) "
        "SELECT ticket_id, document, public_document FROM ticket_search"
    )
    op.execute("DROP TRIGGER ticket_search_documents ON ticket_search")
    op.execute("DROP FUNCTION ticket_search_documents()")
    op.execute("DROP INDEX ix_ticket_search_document")
    op.execute("ALTER TABLE ticket_search DROP COLUMN document, DROP COLUMN public_document")
    op.execute(
        f"""
        CREATE FUNCTION ticket_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          public_vector tsvector := {_PUBLIC};
        BEGIN
          INSERT INTO ticket_search_vectors (ticket_id, document, public_document)
          VALUES (NEW.ticket_id, public_vector || {_INTERNAL}, public_vector)
          ON CONFLICT (ticket_id) DO UPDATE
            SET document = EXCLUDED.document, public_document = EXCLUDED.public_document;
          RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER ticket_search_vectors AFTER INSERT OR UPDATE ON ticket_search "
        "FOR EACH ROW EXECUTE FUNCTION ticket_search_vectors()"
    )
    op.execute("CREATE INDEX ix_ticket_search_vectors_document ON ticket_search_vectors USING gin (document)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER ticket_search_vectors ON ticket_search")
    op.execute("DROP FUNCTION ticket_search_vectors()")
    op.execute("ALTER TABLE ticket_search ADD COLUMN document tsvector, ADD COLUMN public_document tsvector")
    op.execute(
        "UPDATE ticket_search SET document = v.document, public_document = v.public_document "
        "FROM ticket_search_vectors v WHERE v.ticket_id = ticket_search.ticket_id"
    )
    op.drop_table("ticket_search_vectors")
    op.execute(
        f"""
        CREATE FUNCTION ticket_search_documents() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.public_document := {_PUBLIC};
          NEW.document := NEW.public_document || {_INTERNAL};
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
