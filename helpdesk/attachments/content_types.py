"""Which files are accepted, and what they really are: the type comes from the bytes, not the sender.

Only types a customer plausibly sends to support are kept (pictures, PDFs, office documents, text
and logs, short videos, zip archives, forwarded messages). The declared type (a browser's or a
mail client's guess, or a lie) only chooses between types the bytes cannot tell apart (a .csv and
a .txt are both text; a .docx is a zip). Bytes that say something else win: a "photo.png" that is
a PDF is stored as a PDF, and one that is HTML, SVG or a script is refused, so it can never be
served as a page.
"""

from __future__ import annotations

import mimetypes
import os
import unicodedata

import filetype

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
# Pictures every browser shows, safe to show inline as thumbnails (never SVG: it can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Types that have no magic number: told apart from each other by the declared type or extension.
TEXT_TYPES = frozenset({"text/plain", "text/csv", "text/x-log", "application/json", "message/rfc822"})
# Zip containers: the library reports the office formats it recognises, else a plain zip.
_ZIP_BASED = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)
# The library's names for a few allowed types.
_SNIFFED_ALIASES = {"image/x-icon": None, "audio/x-m4a": "audio/mp4", "video/x-m4v": "video/mp4"}
# Extensions whose type mail clients and browsers often send as application/octet-stream.
_EXTENSION_TYPES = {".log": "text/x-log", ".txt": "text/plain", ".heic": "image/heic", ".eml": "message/rfc822"}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "application/x-download", "binary/octet-stream"})
# Markup a browser would render or run, looked for at the start of text that has no magic number.
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<!--")
# Declared types of text a browser would run or render: refused even when it does not look like it.
_SCRIPT_WORDS = ("html", "svg", "xml", "javascript", "ecmascript", "x-sh", "php", "python", "perl")
_SNIFF_BYTES = 8192
MAX_FILENAME_CHARS = 200


def display_name(filename: str) -> str:
    """The sender's file name, safe to show: no path, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:MAX_FILENAME_CHARS] or "attachment"


def declared_type(content_type: str, filename: str) -> str | None:
    """The allowed type a sender claims, by declared type then (for generic ones) the extension."""
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared in ALLOWED_TYPES:
        return declared
    extension = os.path.splitext(filename.lower())[1]
    guessed = _EXTENSION_TYPES.get(extension) or mimetypes.types_map.get(extension)
    if declared in _GENERIC_TYPES and guessed in ALLOWED_TYPES:
        return guessed
    return None


def _looks_like_markup(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_MARKUP_STARTS) or b"<script" in head.lower()


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniffing window is still text.
        return error.start >= len(head) - 3
    return True


def sniff_type(payload: bytes, content_type: str, filename: str) -> tuple[str | None, str | None]:
    """(the allowed type the bytes show, None) or (None, why it is refused).

    Where the declared type is one of the allowed types the bytes cannot tell apart, it is kept;
    otherwise the sniffed type wins over the declared one.
    """
    claimed = declared_type(content_type, filename)
    head = payload[:_SNIFF_BYTES]
    kind = filetype.guess(head)
    if kind is not None:
        sniffed = _SNIFFED_ALIASES.get(kind.mime, kind.mime)
        if sniffed == "application/zip" and claimed in _ZIP_BASED:
            return claimed, None
        if sniffed in ALLOWED_TYPES:
            return sniffed, None
        return None, f"its content is {kind.mime}, which is not accepted"
    if not _is_text(head):
        return None, "its content is not a type we accept"
    if _looks_like_markup(head):
        return None, "its content is HTML, SVG or a script, which is not accepted"
    if claimed in TEXT_TYPES:
        return claimed, None
    declared = content_type.split(";", 1)[0].strip().lower()
    if any(word in declared for word in _SCRIPT_WORDS):
        return None, f"type {declared} is not accepted"
    # Plain text whatever it claimed to be (a "photo.png" that is words): stored as what it is.
    return "text/plain", None


def extension_for(content_type: str) -> str:
    return ALLOWED_TYPES.get(content_type, ".bin")
