"""The files an outbox row carries (``OutboxMessage.attachment_ids``), read for composing it.

Looked up while the row is claimed (names and types from the database), read from storage
outside the transaction; a file erased since the reply was queued is left out, not an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftercare.config import Settings
from helpdesk.attachments.storage import storage_for
from helpdesk.email.models import Attachment, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileRef:
    filename: str
    content_type: str
    stored_name: str


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    payload: bytes


def file_refs(session: Session, row: OutboxMessage) -> list[FileRef]:
    ids = list(row.attachment_ids or [])
    if not ids:
        return []
    found = {
        a.id: a
        for a in session.scalars(select(Attachment).where(Attachment.id.in_(ids), Attachment.stored_name.is_not(None)))
    }
    return [FileRef(found[i].filename, found[i].content_type, found[i].stored_name or "") for i in ids if i in found]


def read_files(settings: Settings, refs: list[FileRef]) -> list[OutgoingFile]:
    if not refs:
        return []
    storage = storage_for(settings)
    files: list[OutgoingFile] = []
    for ref in refs:
        try:
            files.append(OutgoingFile(ref.filename, ref.content_type, storage.read(ref.stored_name)))
        except FileNotFoundError:
            logger.warning("attachment %s is gone from storage; sent without it", ref.stored_name)
    return files
