"""``aftercare demo``: a living help desk at first start, each domain loading its own demo data.

Idempotent: running it twice adds nothing the second time. The knowledge base loads before the
forum and the after-sales programmes, which use its articles.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from aftersales import demo as aftersales_demo
from helpdesk import demo as helpdesk_demo
from helpdesk import macros_demo
from kb import demo as kb_demo
from kb.forum import demo as forum_demo

DEMO_PASSWORD = helpdesk_demo.DEMO_PASSWORD


def load_demo(session: Session, *, echo: Callable[[str], None] = print) -> str:
    """Load every domain's demo data; the message tells how to sign in."""
    created = helpdesk_demo.load_demo(session, echo)
    for domain in (macros_demo, kb_demo, forum_demo, aftersales_demo):
        domain.load_demo(session, echo)
    return (
        f"demo loaded: {created} new tickets. Sign in at /login as admin@example.com or agent@example.com "
        f"with password '{DEMO_PASSWORD}'."
    )
