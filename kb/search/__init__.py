"""Search wired to the database: the index keeper, the one search function, ticket suggestions.

``retrieval`` ranks text; ``kb.indexing`` and ``kb.forum.indexing`` say what may be indexed and
what changed. This package keeps one in-memory engine per process in step with the database
(``keeper``), answers searches with results checked against the database (``service``), and
suggests articles for tickets (``suggestions``).
"""
