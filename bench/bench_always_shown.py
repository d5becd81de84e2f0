"""Results always shown: how often a customer or an agent now sees the answering article that the
old confidence gate hid, and how long the passage "Insert" puts into a reply is.

    python bench/bench_always_shown.py

What is measured, and how:

* Setup. A fresh SQLite database in a temporary directory, the schema from migrations and
  ``aftercare demo``; the real e5 model; the index built before anything is counted.
* Shown. For each customer text (the portal examples of issue 11 and the short customer texts of
  ``bench/bench_intake.py``, subject and body as the contact form sends them), the search the page
  runs (``kb.search.service.search``, the page's limit). The answering article counts as shown
  "before" only when the old pages would have listed it (the portal: an answered search, or a
  result of confidence >= 0.25; the contact form: an answered search), and "now" whenever the
  search returned it (pages list every result). For the typed words, the right answer is any
  article whose title holds the word.
* Passages. For each demo ticket, the length of the reply draft "Insert" puts into the editor (the
  matched section and its citation) against the length of the article version it comes from.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_intake import CASES  # noqa: E402
from bench.demo_setup import demo_with_index  # noqa: E402

# The old portal's floor under which an unanswered search's results were hidden (web.pages.search).
OLD_POSSIBLY_RELATED = 0.25
PORTAL_LIMIT = 10
TYPING_LIMIT = 5
CONTACT_LIMIT = 3
# Issue 11's portal examples: (query, slug of the answering article or None, word its title holds).
PORTAL_QUERIES: list[tuple[str, str | None, str | None]] = [
    ("słuchawki się nie ładują", "pulse-not-charging", None),
    ("หูฟังชาร์จไม่เข้า", "pulse-not-charging", None),
    ("wifi", None, "wi-fi"),
    ("thermostat", None, "thermostat"),
    ("battery", None, "battery"),
    ("earb", None, "earb"),
    ("thermo", None, "thermo"),
]


def main() -> None:
    demo = demo_with_index("aftercare-bench-shown-")
    database = demo.database
    from sqlalchemy import select

    from helpdesk.models import Ticket
    from kb.models import Article
    from kb.search import suggestions
    from kb.search.service import compose_query, search
    from web.pages.agent_suggestions import _views

    print(f"index built in {demo.index_seconds:.1f} s")

    def right(hit, slug: str | None, word: str | None) -> bool:
        if hit.type != "article":
            return False
        return hit.slug == slug if slug else word in hit.title.casefold()

    print(f"\n{'where':34}{'texts':>6}{'shown before':>14}{'shown now':>11}{'first now':>11}")
    with database.session() as session:
        rows = []
        for label, limit in (("portal page", PORTAL_LIMIT), ("typing box", TYPING_LIMIT)):
            before = now = first = 0
            for query, slug, word in PORTAL_QUERIES:
                outcome = search(session, query, limit=limit, log=False)
                hits = [hit for hit in outcome.results if right(hit, slug, word)]
                old_shown = [hit for hit in hits if outcome.answered or hit.confidence >= OLD_POSSIBLY_RELATED]
                before += bool(old_shown)
                now += bool(hits)
                first += bool(outcome.results) and right(outcome.results[0], slug, word)
            rows.append((f"{label} (issue 11 examples)", len(PORTAL_QUERIES), before, now, first))
        before = now = first = 0
        for _language, subject, body, slug in CASES:
            outcome = search(session, compose_query(subject, body), limit=CONTACT_LIMIT, log=False)
            found = any(right(hit, slug, None) for hit in outcome.results)
            before += found and outcome.answered
            now += found
            first += bool(outcome.results) and right(outcome.results[0], slug, None)
        rows.append(("contact form (bench_intake texts)", len(CASES), before, now, first))
        for label, count, before, now, first in rows:
            print(f"{label:34}{count:>6}{before:>14}{now:>11}{first:>11}")

        print(f"\n{'demo ticket':42}{'lang':>5}{'draft':>7}{'article':>9}{'share':>7}")
        shares = []
        for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
            views = _views(session, ticket, suggestions.suggest_for_ticket(session, ticket))
            if not views:
                continue
            view = views[0]
            article = session.scalar(
                select(Article).where(Article.slug == view.url.split("/articles/")[1].split("?")[0])
            )
            body = next(c.body_markdown for c in article.contents if c.locale == view.reply_locale)
            shares.append(len(view.draft) / len(body))
            print(f"{ticket.subject[:40]:42}{ticket.language:>5}{len(view.draft):>7}{len(body):>9}{shares[-1]:>7.2f}")
        print(f"median draft / article: {statistics.median(shares):.2f}")
        session.rollback()
    database.dispose()


if __name__ == "__main__":
    main()
