"""Inbound messages as mail clients really send them (bytes), for the parser and receiver tests."""

from __future__ import annotations

import base64
import quopri
from email.message import EmailMessage
from email.utils import make_msgid

# A 1x1 transparent PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def crlf(raw: bytes) -> bytes:
    """Wire format: every line ends in CRLF (SMTP servers read lines up to CRLF)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def plain(sender: str, subject: str, body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@help.example.com"
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="client.example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return crlf(message.as_bytes())


def html_only(sender: str, subject: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@help.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example.org")
    message.set_content(html, subtype="html")
    return crlf(message.as_bytes())


def with_attachments(sender: str, subject: str, body: str, files: list[tuple[str, str, bytes]]) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@help.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.example.org")
    message.set_content(body)
    message.add_alternative(f"<p>{body}</p>", subtype="html")
    for filename, content_type, payload in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return crlf(message.as_bytes())


def polish_iso_8859_2(sender: str) -> bytes:
    """As an older Polish client sends it: ISO-8859-2, quoted-printable, an encoded-word subject."""
    body = (
        "Dzień dobry,\n\nmój odkurzacz Aurora nie wraca do stacji ładującej i rozładowuje się "
        "na środku salonu. Proszę o pomoc.\n\nPozdrawiam\nŁukasz Żółkiewski\n"
    )
    encoded = quopri.encodestring(body.encode("iso-8859-2")).decode("ascii")
    subject = (
        "=?iso-8859-2?Q?"
        + quopri.encodestring("Odkurzacz nie wraca do stacji".encode("iso-8859-2"), header=True).decode("ascii")
        + "?="
    )
    raw = (
        f"From: =?iso-8859-2?Q?=A3ukasz_=AF=F3=B3kiewski?= <{sender}>\r\n"
        "To: support@help.example.com\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='poczta.example.pl')}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-2\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{encoded}"
    ).encode("ascii")
    return crlf(raw)


def thai_tis_620(sender: str) -> bytes:
    body = "สวัสดีครับ หูฟังของผมเชื่อมต่อบลูทูธกับโทรศัพท์ไม่ได้ ลองปิดเปิดใหม่แล้วก็ยังไม่ได้ครับ ต้องทำอย่างไรดีครับ\n"
    subject = base64.b64encode("หูฟังเชื่อมต่อบลูทูธไม่ได้".encode("tis-620")).decode("ascii")
    raw = (
        f"From: {sender}\r\n"
        "To: support@help.example.com\r\n"
        f"Subject: =?TIS-620?B?{subject}?=\r\n"
        f"Message-ID: {make_msgid(domain='mail.example.co.th')}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=TIS-620\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(body.encode("tis-620")).decode("ascii")
    ).encode("ascii")
    return crlf(raw)


def delivery_report(original_message_id: str, failed_recipient: str) -> bytes:
    boundary = "REPORT-BOUNDARY"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: support@help.example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {failed_recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@help.example.com\r\nTo: {failed_recipient}\r\nMessage-ID: {original_message_id}\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")
