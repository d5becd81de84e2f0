"""Attachments API: upload files onto a ticket's message, download one.

``POST /api/v1/tickets/{id}/attachments`` (multipart, one or more ``files``, optional
``message_id``, else the latest message the caller can see): staff onto any message of any
ticket; the requester (account token or the ticket's signed link) onto public messages of their
own ticket only. ``GET /api/v1/attachments/{id}``: staff, or the requester for a file on a public
message; always a download (``Content-Disposition: attachment``, ``nosniff``). The mail admin
routes (``/api/v1/mail/...attachments``) stay as they were.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from accounts import guards
from helpdesk import service
from helpdesk.attachments import service as attachments
from helpdesk.email.schemas import AttachmentRead
from web.deps import API_READER_SIGN_IN, ApiPrincipal, AppSettings, DbSession
from web.uploads import download_response, read_uploads

router = APIRouter(prefix="/api/v1", tags=["attachments"])
BYTES = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


@router.post("/tickets/{ticket_id}/attachments", status_code=201, response_model=list[AttachmentRead])
def upload_attachments(
    ticket_id: int,
    session: DbSession,
    settings: AppSettings,
    principal: ApiPrincipal,
    files: Annotated[list[UploadFile], File(description="one or more files")],
    message_id: Annotated[int | None, Form(description="the message they belong to; default the latest")] = None,
) -> list[AttachmentRead]:
    """Store the files with a message of the ticket; 413/422 (nothing stored) when one is out of bounds."""
    guards.require_credentials(principal, API_READER_SIGN_IN)
    ticket = service.get_ticket_for(session, ticket_id, principal)
    message = attachments.message_for_upload(session, ticket, message_id, principal)
    checked = attachments.check_uploads(read_uploads(files, settings), settings)
    if not checked:
        raise attachments.AttachmentRefused("no file was sent", problem=attachments.Problem.EMPTY)
    rows = attachments.attach_uploads(session, ticket, message, checked, principal, settings)
    return [AttachmentRead.model_validate(row) for row in rows]


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"description": "The file, as a download", "content": BYTES}},
)
def download(attachment_id: int, session: DbSession, settings: AppSettings, principal: ApiPrincipal) -> Response:
    guards.require_credentials(principal, API_READER_SIGN_IN)
    row = attachments.get_attachment_for(session, attachment_id, principal)
    return download_response(row, settings)
