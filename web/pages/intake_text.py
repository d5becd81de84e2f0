"""Interface text of the intake pages (contact form errors, the receipt), marked for translation.

Kept apart from ``portal.py``, whose other strings are built inline, because these are reused.
"""

from __future__ import annotations

from web.i18n import N_

DATABASE_BUSY = N_(
    "We are very busy right now and your message was not sent yet. Everything you wrote is "
    "still here: please send it again in %(seconds)s seconds."
)
REPLY_RATE_LIMITED = N_(
    "You have sent many replies in a short time. Your reply is still here: please send it again in %(seconds)s seconds."
)
