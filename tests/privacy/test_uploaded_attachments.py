"""Uploaded attachments are the customer's data like mailed ones: erasure deletes their files,
an export lists their names."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.service import Principal
from aftercare.config import get_settings
from helpdesk import service
from helpdesk.attachments.service import CheckedUpload, attach_uploads
from helpdesk.attachments.storage import attachments_dir
from helpdesk.email.models import Attachment
from helpdesk.schemas import MessageCreate
from privacy.erasure import erase_customer
from privacy.export import export_customer
from tests.factories import create_ticket

UPLOADED_NAME = "kitchen-thermostat-wiring.txt"


def _upload(session: Session) -> Attachment:
    ticket = create_ticket(session)
    requester = Principal(customer=ticket.requester)
    message = service.add_message(session, ticket, MessageCreate(body="Here is how it is wired."), requester)
    [row] = attach_uploads(
        session,
        ticket,
        message,
        [CheckedUpload(UPLOADED_NAME, "text/plain", b"red: R, white: W\n")],
        requester,
        get_settings(),
    )
    session.commit()
    return row


def test_erasure_deletes_an_uploaded_file(session):
    row = _upload(session)
    path = attachments_dir(get_settings().data_dir) / row.stored_name
    erase_customer(session, row.uploaded_by_customer_id, actor=None)
    session.commit()
    assert not path.exists()


def test_an_export_lists_an_uploaded_file(session):
    row = _upload(session)
    document = export_customer(session, row.uploaded_by_customer_id, actor=None)
    assert [m["attachments"] for m in document["tickets"][0]["messages"]][-1] == [UPLOADED_NAME]
