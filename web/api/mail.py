"""Mail administration API: rejected and received mail, the outbox, the suppression list, attachments.

Admins only, except attachment downloads (agents: they belong to tickets). Everything here is
read-mostly; the only writes are retrying a failed message and editing the suppression list.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from aftercare.errors import NotFound
from aftercare.pagination import paginate
from helpdesk.email.mail_in.attachments import attachments_dir
from helpdesk.email.models import (
    Attachment,
    InboundDisposition,
    InboundMessage,
    OutboxStatus,
    RejectedMail,
    RejectReason,
    SuppressionSource,
)
from helpdesk.email.outbox import list_outbox, retry_message
from helpdesk.email.schemas import (
    AttachmentRead,
    InboundMessagePage,
    InboundMessageRead,
    OutboxMessageRead,
    OutboxPage,
    RejectedMailPage,
    RejectedMailRead,
    SuppressionCreate,
    SuppressionRead,
)
from helpdesk.email.suppression import add_suppression, list_suppressions, remove_suppression
from web.deps import AdminPrincipal, AppSettings, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1/mail", tags=["mail"])

PageSize = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# Downloads are bytes, whatever the file claims to be.
BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
DOWNLOAD = {200: {"description": "The file", "content": BYTES}}


@router.get("/rejected", response_model=RejectedMailPage)
def list_rejected(
    session: DbSession,
    principal: AdminPrincipal,
    reason: RejectReason | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> RejectedMailPage:
    """Mail that could not be accepted (too large, malformed, empty), newest first."""
    query = select(RejectedMail)
    if reason is not None:
        query = query.where(RejectedMail.reason == reason)
    found = paginate(session, query.order_by(RejectedMail.id.desc()), offset=offset, limit=limit)
    return RejectedMailPage(items=[RejectedMailRead.model_validate(row) for row in found.items], total=found.total)


@router.get("/rejected/{rejected_id}/raw", response_class=Response, responses=DOWNLOAD)
def rejected_raw(rejected_id: int, session: DbSession, principal: AdminPrincipal) -> Response:
    """The message as it arrived (its beginning, when it was too large), as a download."""
    row = session.get(RejectedMail, rejected_id)
    if row is None:
        raise NotFound(f"rejected mail {rejected_id} not found")
    return Response(
        row.raw,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="rejected-{row.id}.eml"'},
    )


@router.get("/inbound", response_model=InboundMessagePage)
def list_inbound(
    session: DbSession,
    principal: AdminPrincipal,
    disposition: InboundDisposition | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> InboundMessagePage:
    """Mail received and what became of it (new ticket, reply, auto-reply ignored, bounce...)."""
    query = select(InboundMessage)
    if disposition is not None:
        query = query.where(InboundMessage.disposition == disposition)
    found = paginate(session, query.order_by(InboundMessage.id.desc()), offset=offset, limit=limit)
    return InboundMessagePage(items=[InboundMessageRead.model_validate(row) for row in found.items], total=found.total)


@router.get("/outbox", response_model=OutboxPage)
def outbox(
    session: DbSession,
    principal: AdminPrincipal,
    status: OutboxStatus | None = None,
    ticket_id: int | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> OutboxPage:
    """Outgoing mail by status; ``status=failed`` lists what gave up after every retry."""
    rows, total = list_outbox(session, status=status, ticket_id=ticket_id, limit=limit, offset=offset)
    return OutboxPage(items=[OutboxMessageRead.model_validate(row) for row in rows], total=total)


@router.post("/outbox/{message_id}/retry", response_model=OutboxMessageRead, responses=error_responses(409))
def retry(message_id: int, session: DbSession, principal: AdminPrincipal) -> OutboxMessageRead:
    """Queue a failed message again (after fixing what made it fail)."""
    return OutboxMessageRead.model_validate(retry_message(session, message_id))


@router.get("/suppressions", response_model=list[SuppressionRead])
def suppressions(
    session: DbSession,
    principal: AdminPrincipal,
    email: str | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> list[SuppressionRead]:
    return [
        SuppressionRead.model_validate(row)
        for row in list_suppressions(session, email=email, limit=limit, offset=offset)
    ]


@router.post("/suppressions", response_model=SuppressionRead, status_code=201)
def suppress(data: SuppressionCreate, session: DbSession, principal: AdminPrincipal) -> SuppressionRead:
    row = add_suppression(session, str(data.email), data.scope, source=SuppressionSource.ADMIN, note=data.note)
    return SuppressionRead.model_validate(row)


@router.delete("/suppressions/{email}", status_code=204)
def unsuppress(email: str, session: DbSession, principal: AdminPrincipal) -> Response:
    if not remove_suppression(session, email):
        raise NotFound(f"{email} is not on the suppression list")
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/attachments", response_model=list[AttachmentRead])
def ticket_attachments(ticket_id: int, session: DbSession, principal: StaffPrincipal) -> list[AttachmentRead]:
    rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)).all()
    return [AttachmentRead.model_validate(row) for row in rows]


@router.get("/attachments/{attachment_id}", response_class=Response, responses=DOWNLOAD)
def download_attachment(
    attachment_id: int, session: DbSession, principal: StaffPrincipal, settings: AppSettings
) -> Response:
    """The file, always as a download (never rendered inline, whatever it claims to be)."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.stored_name is None:
        raise NotFound(f"attachment {attachment_id} not found")
    path = attachments_dir(settings.data_dir) / row.stored_name
    if not path.is_file():
        raise NotFound(f"attachment {attachment_id} is missing from storage")
    return FileResponse(
        path, media_type="application/octet-stream", filename=row.filename, content_disposition_type="attachment"
    )
