"""Attachment links on the ticket pages: the download and the picture preview (thumbnail).

Same rules as the API (``helpdesk.attachments.service.get_attachment_for``), with the page's
credentials: the login cookie or the ticket's signed link (``?access_token=``).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from accounts import guards
from helpdesk.attachments import service as attachments
from web.deps import PAGE_SIGN_IN_REQUESTER, AppSettings, DbSession, PagePrincipal
from web.uploads import download_response, preview_response

router = APIRouter(include_in_schema=False)


@router.get("/attachments/{attachment_id}")
def download_page(attachment_id: int, session: DbSession, settings: AppSettings, principal: PagePrincipal) -> Response:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    return download_response(attachments.get_attachment_for(session, attachment_id, principal), settings)


@router.get("/attachments/{attachment_id}/preview")
def preview_page(attachment_id: int, session: DbSession, settings: AppSettings, principal: PagePrincipal) -> Response:
    guards.require_credentials(principal, PAGE_SIGN_IN_REQUESTER)
    return preview_response(attachments.get_attachment_for(session, attachment_id, principal), settings)
