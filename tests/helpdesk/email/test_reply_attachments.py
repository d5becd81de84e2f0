"""An agent's public reply e-mails its attachments: through a real SMTP server (aiosmtpd), the
parts that arrive are the uploaded bytes; a size cap keeps what does not fit on the ticket page."""

from __future__ import annotations

from email.message import Message as MimeMessage

from accounts.service import principal_for_user
from aftercare.config import get_settings
from helpdesk import service
from helpdesk.attachments.service import CheckedUpload, attach_uploads
from helpdesk.email.delivery import drain_outbox
from helpdesk.email.models import OutboxMessage
from helpdesk.models import MessageKind
from helpdesk.schemas import MessageCreate
from tests.factories import create_staff, create_ticket
from tests.helpdesk.email.mail_samples import PNG

LOG = b"2026-12-07 10:00:01 wifi: association failed (reason 15)\r\nline two\n"
FILES = [CheckedUpload("dock.png", "image/png", PNG), CheckedUpload("router log.txt", "text/plain", LOG)]


def _reply_with(database, files, settings) -> str:
    """A public reply carrying ``files``, committed; returns the Message-ID of its e-mail."""
    with database.session() as session:
        ticket = create_ticket(session)
        agent = principal_for_user(create_staff(session))
        message = service.add_message(
            session, ticket, MessageCreate(body="Here is the setup guide.", kind=MessageKind.PUBLIC_REPLY), agent
        )
        attach_uploads(session, ticket, message, files, agent, settings)
        session.flush()
        return session.query(OutboxMessage).filter_by(dedupe_key=f"ticket-message:{message.id}").one().message_id


def _delivered(smtp_sink, message_id: str) -> MimeMessage:
    [found] = [d.message for d in smtp_sink.delivered if d.message["Message-ID"] == message_id]
    return found


def _attached(message: MimeMessage) -> list[tuple[str | None, bytes]]:
    return [
        (part.get_filename(), part.get_payload(decode=True))
        for part in message.walk()
        if part.get_content_disposition() == "attachment"
    ]


def test_the_reply_mail_carries_the_files_byte_identical(database, smtp_sink):
    message_id = _reply_with(database, FILES, get_settings())
    drain_outbox(database)
    assert _attached(_delivered(smtp_sink, message_id)) == [("dock.png", PNG), ("router log.txt", LOG)]


def test_the_reply_text_is_still_the_first_part(database, smtp_sink):
    message_id = _reply_with(database, FILES, get_settings())
    drain_outbox(database)
    assert "Here is the setup guide." in _delivered(smtp_sink, message_id).get_body(("plain",)).get_content()


def test_files_past_the_mail_size_cap_are_left_out(database, smtp_sink):
    # Room for the picture only: the log (next in order) would pass the cap.
    settings = get_settings().model_copy(update={"attachment_email_max_bytes": len(PNG) + len(LOG) - 1})
    message_id = _reply_with(database, FILES, settings)
    drain_outbox(database)
    assert _attached(_delivered(smtp_sink, message_id)) == [("dock.png", PNG)]
