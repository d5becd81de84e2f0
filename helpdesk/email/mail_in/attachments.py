"""Storing attachments of inbound mail under ``data_dir/attachments``, with limits.

The rules are those of every attachment (``helpdesk.attachments.content_types``): only types a
customer plausibly sends to support are kept, judged from the bytes; others are refused with
the reason recorded, and the agent sees a note in the ticket. The file name on disk is ours
(``YYYY/MM/<random hex><extension of the type>``): the sender's name is shown, never used as a
path. Files are fsync'ed before the database commit, so "accepted" means on disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from helpdesk.attachments.content_types import ALLOWED_TYPES, display_name, sniff_type
from helpdesk.attachments.storage import (
    attachments_dir,
    fsync_directories,
    new_stored_name,
    remove_files,
    write_durably,
)
from helpdesk.email.mail_in.parser import ParsedAttachment

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENTS",
    "StoredAttachment",
    "attachments_dir",
    "display_name",
    "fsync_directories",
    "remove_files",
    "store_attachments",
]

MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class StoredAttachment:
    filename: str
    content_type: str
    size_bytes: int
    stored_name: str | None
    sha256: str | None
    refused_reason: str | None


def store_attachments(
    attachments: list[ParsedAttachment], *, data_dir: Path, max_bytes: int, now: datetime
) -> tuple[list[StoredAttachment], list[Path]]:
    """Write the allowed files; returns what became of each, and the paths written (to undo on failure)."""
    results: list[StoredAttachment] = []
    written: list[Path] = []
    for index, attachment in enumerate(attachments):
        name = display_name(attachment.filename)
        size = len(attachment.payload)
        content_type, refused = None, None
        if index >= MAX_ATTACHMENTS:
            refused = f"more than {MAX_ATTACHMENTS} attachments"
        elif size == 0:
            refused = "empty file"
        elif size > max_bytes:
            refused = f"{size} bytes; the limit is {max_bytes}"
        else:
            content_type, why = sniff_type(attachment.payload, attachment.content_type, attachment.filename)
            if content_type is None:
                refused = f"type {attachment.content_type} is not accepted: {why}"
        if refused is not None or content_type is None:
            reason = (refused or "")[:200]
            results.append(StoredAttachment(name, attachment.content_type[:100], size, None, None, reason))
            continue
        relative = new_stored_name(extension=ALLOWED_TYPES[content_type], now=now)
        path = attachments_dir(data_dir) / relative
        write_durably(path, attachment.payload)
        written.append(path)
        digest = hashlib.sha256(attachment.payload).hexdigest()
        results.append(StoredAttachment(name, content_type, size, relative, digest, None))
    return results, written
