"""Full-text ticket search, on SQLite (FTS5) and PostgreSQL (tsvector), by use case:

- ``tokens``: one word cutter for the stored text, the query and the highlights (Thai segmented);
- ``upkeep``: the ``ticket_search`` row per ticket, rewritten with every change (an ORM flush
  listener, imported here so that importing the package keeps the index), and the bulk rebuild;
- ``engines``: each database's index and its ranked window of candidates;
- ``query``: :func:`search`, one ranked, faceted, keyset-paged page of hits;
- ``highlight``: the matched words marked in the subject and a snippet, escaped as HTML.
"""

from __future__ import annotations

from helpdesk.ticket_search.highlight import Fragment, Highlighter, to_html
from helpdesk.ticket_search.query import (
    MAX_PAGE_SIZE,
    RANKED_WINDOW,
    SearchCursor,
    SearchHit,
    SearchPage,
    SearchQuery,
    search,
)
from helpdesk.ticket_search.tokens import MAX_QUERY_CHARS, Term, parse, pg_config, word_spans, words
from helpdesk.ticket_search.upkeep import INDEX, reindex, reindex_all

__all__ = [
    "INDEX",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_CHARS",
    "RANKED_WINDOW",
    "Fragment",
    "Highlighter",
    "SearchCursor",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Term",
    "parse",
    "pg_config",
    "reindex",
    "reindex_all",
    "search",
    "to_html",
    "word_spans",
    "words",
]
