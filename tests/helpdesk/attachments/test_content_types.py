"""The type of a file comes from its bytes: declared types only choose among look-alikes."""

from __future__ import annotations

import io
import zipfile

import pytest

from helpdesk.attachments.content_types import display_name, sniff_type
from tests.helpdesk.email.mail_samples import PNG

PDF = b"%PDF-1.4\n%%EOF\n"


def _docx() -> bytes:
    # The minimal parts a word processor writes first; the library recognises the layout.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_png_is_a_png_whatever_was_declared():
    assert sniff_type(PNG, "application/octet-stream", "photo") == ("image/png", None)


def test_a_pdf_named_as_a_picture_is_stored_as_a_pdf():
    assert sniff_type(PDF, "image/png", "photo.png") == ("application/pdf", None)


@pytest.mark.parametrize(
    "payload",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"  <script>alert(1)</script>",
        b'<?xml version="1.0"?><svg/>',
    ],
)
def test_markup_declared_as_text_is_refused(payload):
    assert sniff_type(payload, "text/plain", "notes.txt")[0] is None


def test_an_executable_declared_as_a_picture_is_refused():
    content_type, reason = sniff_type(b"MZ\x90\x00" + b"\x00" * 60, "image/png", "cat.png")
    assert content_type is None and "application/x-msdownload" in reason


def test_text_keeps_its_declared_text_type():
    assert sniff_type(b"a,b\n1,2\n", "text/csv", "data.csv") == ("text/csv", None)


def test_a_log_sent_as_octet_stream_is_told_by_its_extension():
    assert sniff_type(b"10:00 boot\n", "application/octet-stream", "device.log") == ("text/x-log", None)


def test_text_declared_as_a_picture_is_stored_as_text():
    assert sniff_type(b"just words\n", "image/png", "photo.png") == ("text/plain", None)


def test_text_declared_as_a_script_is_refused():
    assert sniff_type(b"alert(document.cookie)\n", "application/javascript", "x.js")[0] is None


def test_a_docx_is_kept_as_a_docx():
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert sniff_type(_docx(), docx, "report.docx") == (docx, None)


def test_display_name_drops_the_path_and_control_characters():
    assert display_name("..\\..\\etc/pass\x00wd.txt") == "passwd.txt"
