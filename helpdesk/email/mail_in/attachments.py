"""Storing attachments of inbound mail under ``data_dir/attachments``, with limits.

Only types a customer plausibly sends to support are kept (pictures, PDFs, office documents,
text and logs, short videos, zip archives, forwarded messages); others are refused with the
reason recorded, and the agent sees a note in the ticket. The file name on disk is ours
(``YYYY/MM/<random hex><extension of the allowed type>``): the sender's name is shown, never
used as a path. Files are fsync'ed before the database commit, so "accepted" means on disk.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from helpdesk.email.mail_in.parser import ParsedAttachment

ALLOWED_TYPES: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/x-log": ".log",
    "application/json": ".json",
    "application/zip": ".zip",
    "message/rfc822": ".eml",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
}
# Extensions whose type mail clients often send as application/octet-stream.
_EXTENSION_TYPES = {".log": "text/x-log", ".txt": "text/plain", ".heic": "image/heic", ".eml": "message/rfc822"}
MAX_ATTACHMENTS = 20
MAX_FILENAME_CHARS = 200


@dataclass(frozen=True)
class StoredAttachment:
    filename: str
    content_type: str
    size_bytes: int
    stored_name: str | None
    sha256: str | None
    refused_reason: str | None


def display_name(filename: str) -> str:
    """The sender's file name, safe to show: no path, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:MAX_FILENAME_CHARS] or "attachment"


def allowed_type(attachment: ParsedAttachment) -> str | None:
    """The allowed content type of this attachment, judged by declared type then extension."""
    declared = attachment.content_type.lower()
    if declared in ALLOWED_TYPES:
        return declared
    extension = os.path.splitext(attachment.filename.lower())[1]
    guessed = _EXTENSION_TYPES.get(extension) or mimetypes.types_map.get(extension)
    if (
        declared in ("application/octet-stream", "application/x-download", "binary/octet-stream")
        and guessed in ALLOWED_TYPES
    ):
        return guessed
    return None


def attachments_dir(data_dir: Path) -> Path:
    return data_dir / "attachments"


def _write_durably(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def store_attachments(
    attachments: list[ParsedAttachment], *, data_dir: Path, max_bytes: int, now: datetime
) -> tuple[list[StoredAttachment], list[Path]]:
    """Write the allowed files; returns what became of each, and the paths written (to undo on failure)."""
    results: list[StoredAttachment] = []
    written: list[Path] = []
    for index, attachment in enumerate(attachments):
        name = display_name(attachment.filename)
        size = len(attachment.payload)
        content_type = allowed_type(attachment)
        refused = None
        if index >= MAX_ATTACHMENTS:
            refused = f"more than {MAX_ATTACHMENTS} attachments"
        elif content_type is None:
            refused = f"type {attachment.content_type} is not accepted"
        elif size > max_bytes:
            refused = f"{size} bytes; the limit is {max_bytes}"
        elif size == 0:
            refused = "empty file"
        if refused is not None:
            results.append(StoredAttachment(name, attachment.content_type[:100], size, None, None, refused))
            continue
        relative = f"{now:%Y/%m}/{uuid.uuid4().hex}{ALLOWED_TYPES[content_type]}"
        path = attachments_dir(data_dir) / relative
        _write_durably(path, attachment.payload)
        written.append(path)
        digest = hashlib.sha256(attachment.payload).hexdigest()
        results.append(StoredAttachment(name, content_type, size, relative, digest, None))
    return results, written


def fsync_directories(paths: list[Path]) -> None:
    """Make the new directory entries durable too (a crash could otherwise lose a fresh file's name)."""
    for directory in {path.parent for path in paths}:
        try:
            descriptor = os.open(directory, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
