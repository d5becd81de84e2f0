"""The one inbound parser: charsets, HTML to text, quoted replies, attachments, machine-made mail."""

from __future__ import annotations

import pytest

from helpdesk.email.mail_in.htmltext import html_to_text
from helpdesk.email.mail_in.parser import MalformedMail, parse_mail
from helpdesk.email.mail_in.quotes import trim_quoted
from tests.helpdesk.email import mail_samples as samples


def test_plain_message():
    parsed = parse_mail(samples.plain("Ann Lee <Ann@Example.com>", "Help", "My earbuds are silent."))
    assert (parsed.from_address, parsed.from_name, parsed.subject) == ("ann@example.com", "Ann Lee", "Help")
    assert parsed.reply_text == "My earbuds are silent."


def test_iso_8859_2_polish_is_decoded():
    parsed = parse_mail(samples.polish_iso_8859_2("lukasz@example.pl"))
    assert parsed.subject == "Odkurzacz nie wraca do stacji"
    assert parsed.from_name == "Łukasz Żółkiewski"
    assert "stacji ładującej i rozładowuje się" in parsed.text
    assert "\r" not in parsed.text


def test_tis_620_thai_is_decoded():
    parsed = parse_mail(samples.thai_tis_620("somchai@example.co.th"))
    assert parsed.subject == "หูฟังเชื่อมต่อบลูทูธไม่ได้"
    assert parsed.text.startswith("สวัสดีครับ หูฟังของผม")


def test_unknown_charset_falls_back_instead_of_failing():
    raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xc3\xa9 ok\r\n"
    assert parse_mail(raw).text == "café ok"


def test_windows_1250_is_decoded():
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=windows-1250\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "Zażółć gęślą jaźń".encode("cp1250")
    assert parse_mail(raw).text == "Zażółć gęślą jaźń"


def test_html_only_becomes_text_without_script_or_quote():
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>The dock light is <b>green</b>.</p>"
        "<script>alert('x')</script><p>See <a href='https://example.com/pic'>my photo</a></p>"
        "<div class='gmail_quote'>On Mon, Support wrote:<blockquote>old text</blockquote></div></body></html>"
    )
    parsed = parse_mail(samples.html_only("b@example.com", "Dock", html))
    assert parsed.reply_text == "The dock light is green.\n\nSee my photo (https://example.com/pic)"
    assert "alert" not in parsed.text and "color:red" not in parsed.text
    assert "old text" in parsed.text  # kept in the full text, trimmed only from the reply


def test_outlook_html_reply_is_cut_at_its_marker():
    html = "<div>Thanks, that worked.</div><hr><div id='divRplyFwdMsg'><b>From:</b> Support</div><div>older</div>"
    assert html_to_text(html, drop_quotes=True) == "Thanks, that worked."


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 1 Jan 2024 at 10:00, Support <support@help.example.com> wrote:",
        "W dniu pon., 1 sty 2024 o 10:00 Support <support@help.example.com> napisał(a):",
        "Pada tanggal Sen, 1 Jan 2024 pukul 10.00 Support <support@help.example.com> menulis:",
        "Noong Lun, Ene 1, 2024 nang 10:00 AM, Support <support@help.example.com> ay sumulat:",
        "เมื่อ จ. 1 ม.ค. 2024 เวลา 10:00 Support <support@help.example.com> เขียนว่า:",
        "-----Original Message-----",
    ],
)
def test_quoted_history_is_trimmed(header):
    text = f"It works now, thank you!\n\n{header}\n> Please restart the router.\n> Support"
    assert trim_quoted(text) == "It works now, thank you!"


def test_reply_header_wrapped_over_two_lines_is_found():
    text = "Done.\n\nOn Mon, 1 Jan 2024 at 10:00, Support Team <support@help.example.com>\nwrote:\n> old"
    assert trim_quoted(text) == "Done."


def test_outlook_from_sent_block_is_trimmed():
    text = (
        "Yes, model X2.\n\nFrom: Support <support@help.example.com>\nSent: Monday, 1 January 2024 10:00\nTo: me\n\nold"
    )
    assert trim_quoted(text) == "Yes, model X2."


def test_answers_between_quotes_are_kept():
    text = "> Which model?\nAurora X2\n> Which firmware?\n1.4.2"
    assert trim_quoted(text) == text


def test_a_reply_that_only_quotes_keeps_everything():
    assert trim_quoted("> just the old text") == "> just the old text"


def test_attachments_are_listed_and_a_forwarded_message_is_not_merged():
    forwarded = samples.plain("shop@example.com", "Order 123", "Your order 123 has shipped.")
    raw = samples.with_attachments(
        "c@example.com",
        "Broken",
        "See attached.",
        [("photo.png", "image/png", samples.PNG), ("order.eml", "message/rfc822", forwarded)],
    )
    parsed = parse_mail(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("photo.png", "image/png"),
        ("order.eml", "message/rfc822"),
    ]
    assert parsed.attachments[0].payload == samples.PNG
    assert "has shipped" not in parsed.text


@pytest.mark.parametrize(
    "header, value",
    [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("Precedence", "auto_reply"),
    ],
)
def test_machine_made_mail_is_recognised(header, value):
    parsed = parse_mail(
        samples.plain("ooo@example.com", "Out of office", "I am away.", **{header.replace("-", "_"): value})
    )
    assert parsed.auto_reason is not None


@pytest.mark.parametrize(
    "header, value", [("Precedence", "bulk"), ("Precedence", "list"), ("List-Id", "<it.example.com>")]
)
def test_list_and_bulk_mail_is_recognised_but_not_taken_for_a_machine(header, value):
    parsed = parse_mail(
        samples.plain("it-team@example.com", "Printer", "Our printer is offline.", **{header.replace("-", "_"): value})
    )
    assert parsed.bulk_reason is not None and parsed.auto_reason is None


def test_auto_submitted_no_is_a_person():
    assert parse_mail(samples.plain("a@example.com", "Hi", "Hello", Auto_Submitted="no")).auto_reason is None


def test_delivery_report_names_the_failed_recipient_and_our_message():
    parsed = parse_mail(samples.delivery_report("<abc@help.example.com>", "gone@example.com"))
    assert parsed.is_bounce
    assert parsed.bounced_recipients == ["gone@example.com"]
    assert parsed.bounced_message_ids == ["<abc@help.example.com>"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b"Subject: no sender\r\n\r\nhello\r\n",
        b"From: not an address\r\nSubject: x\r\n\r\nhello\r\n",
    ],
)
def test_malformed_mail_is_refused(raw):
    with pytest.raises(MalformedMail):
        parse_mail(raw)
