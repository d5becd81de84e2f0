"""The admins' outbox page in the reader's language: headings, the status names, the message count."""

from __future__ import annotations

import re

from helpdesk.models import Role
from tests.web.pages_support import sign_in


def test_outbox_page_is_in_polish_status_names_included(mail_client, session):
    sign_in(mail_client, session, role=Role.ADMIN)
    session.commit()
    html = mail_client.get("/admin/email/outbox", headers={"Accept-Language": "pl"}).text
    assert '<html lang="pl"' in html
    select = re.search(r'<select id="outbox-status".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option [^>]*>([^<]*)</option>", select)
    # Every status has a name of its own, and none is the stored English value.
    assert len(options) == len(set(options)) == 5
    assert not {"queued", "sending", "sent", "failed", "suppressed"} & set(options)
    for english in ("Outgoing mail", "0 messages", "E-mail previews"):
        assert english not in html
