"""Attachments over HTTP, for the API and the pages alike: reading uploaded files, serving stored ones.

Every download is ``Content-Disposition: attachment`` with ``X-Content-Type-Options: nosniff``,
whatever the file is. Only a preview of a picture a browser shows safely (png, jpeg, gif, webp,
as sniffed when it was stored) is served inline, and it is the one route that does.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from urllib.parse import quote

from fastapi import Request, UploadFile
from fastapi.responses import Response

from aftercare.config import Settings
from aftercare.errors import NotFound
from helpdesk.attachments.content_types import INLINE_IMAGE_TYPES
from helpdesk.attachments.service import AttachmentRefused, Problem, Upload
from helpdesk.attachments.storage import storage_for
from helpdesk.attachments.thumbnails import make_thumbnail
from helpdesk.email.models import Attachment
from web.i18n import N_

TOO_MANY = N_("Attach at most %(limit)s files to one message.")
TOO_LARGE = N_("%(name)s is too large: files may be at most %(size)s.")
EMPTY = N_("%(name)s is empty.")
WRONG_TYPE = N_("%(name)s cannot be attached: this kind of file is not accepted.")
# Reading past the limit by one byte is enough to know a file is too large.
_READ_CHUNK = 1024 * 1024


def read_uploads(files: Sequence[UploadFile | str], settings: Settings) -> list[Upload]:
    """The uploaded files as ``Upload``s, each read to at most one byte past the size limit.

    A form's file input with nothing chosen arrives as an empty string or a nameless empty file:
    both are left out by ``check_uploads``.
    """
    uploads: list[Upload] = []
    for item in files:
        if isinstance(item, str):
            continue
        payload = item.file.read(settings.attachment_max_bytes + 1)
        uploads.append(Upload(item.filename or "", item.content_type or "application/octet-stream", payload))
    return uploads


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def attachment_limits(request: Request) -> dict[str, object]:
    """The upload limits for a form's hint (templates)."""
    settings: Settings = request.app.state.settings
    return {"count": settings.attachment_max_count, "size": human_size(settings.attachment_max_bytes)}


def refusal_text(error: AttachmentRefused, translations: gettext.NullTranslations) -> str:
    """The refusal in the reader's language, for the field beside the kept text."""
    if error.problem == Problem.TOO_MANY:
        return translations.gettext(TOO_MANY) % {"limit": error.limit}
    if error.problem == Problem.TOO_LARGE:
        return translations.gettext(TOO_LARGE) % {"name": error.filename, "size": human_size(error.limit)}
    if error.problem == Problem.EMPTY:
        return translations.gettext(EMPTY) % {"name": error.filename}
    return translations.gettext(WRONG_TYPE) % {"name": error.filename}


def _stored_bytes(row: Attachment, settings: Settings) -> bytes:
    try:
        return storage_for(settings).read(row.stored_name or "")
    except FileNotFoundError:
        raise NotFound(f"attachment {row.id} is missing from storage") from None


def download_response(row: Attachment, settings: Settings) -> Response:
    """The file as a download, never rendered in the browser: generic bytes, whatever it is (its
    sniffed type is in the attachment's record; the name keeps its extension)."""
    response = Response(_stored_bytes(row, settings), media_type="application/octet-stream")
    response.headers["Content-Disposition"] = _disposition("attachment", row.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def preview_response(row: Attachment, settings: Settings) -> Response:
    """A picture's thumbnail shown inline in the thread; anything else is not previewable."""
    if row.content_type not in INLINE_IMAGE_TYPES:
        raise NotFound(f"attachment {row.id} has no preview")
    thumbnail = make_thumbnail(_stored_bytes(row, settings), row.content_type)
    if thumbnail is None:
        raise NotFound(f"attachment {row.id} is not a readable picture; download it instead")
    response = Response(thumbnail.payload, media_type=thumbnail.media_type)
    response.headers["Content-Disposition"] = _disposition("inline", row.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even opened on its own, the picture can run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _disposition(kind: str, filename: str) -> str:
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
