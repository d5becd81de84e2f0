"""The knowledge base's events (``aftercare.events``).

``ArticleChanged`` and ``ForumPostChanged`` are recorded with each ``search_index_changes`` row
(``kb.indexing.record_search_change``): the search index keeper, woken after the commit, reads
the change feed at once instead of at its next poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aftercare.events import Event


@dataclass(frozen=True)
class ArticleChanged(Event):
    name: ClassVar[str] = "article_changed"

    article_id: int


@dataclass(frozen=True)
class ForumPostChanged(Event):
    """A forum thread's searchable form may have changed (a post added, hidden, voted, accepted)."""

    name: ClassVar[str] = "forum_post_changed"

    thread_id: int
