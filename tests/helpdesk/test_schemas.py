"""helpdesk.schemas.LanguageTag: the one input type of a language, as tickets, macros and articles take it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from helpdesk.macros import MacroWrite
from helpdesk.schemas import TicketCreate
from kb.models import ArticleKind
from kb.schemas import ArticleCreate

TICKET = {"customer_email": "casey@example.com", "subject": "Offline", "body": "The thermostat is offline."}
NOT_A_TAG = "is not a language tag such as 'en', 'pl' or 'pt-BR'"


def test_a_tag_with_a_region_is_kept_as_its_language_code():
    # Brazilian Portuguese is Portuguese: the region is dropped.
    assert TicketCreate(**TICKET, language="pt-BR").language == "pt"


def test_a_posix_locale_is_kept_as_its_language_code():
    # What a mail client or shell may send: "_" for "-", an encoding after the dot.
    assert TicketCreate(**TICKET, language="pl_PL.UTF-8").language == "pl"


def test_no_language_is_allowed_on_a_ticket():
    assert TicketCreate(**TICKET).language is None


def test_a_word_that_is_no_language_is_refused_naming_the_value():
    with pytest.raises(ValidationError, match=f"'klingon' {NOT_A_TAG}"):
        TicketCreate(**TICKET, language="klingon")


def test_a_pasted_paragraph_is_refused_by_length_not_echoed():
    # 36 characters: one more than the longest tag RFC 5646 asks software to accept.
    with pytest.raises(ValidationError, match="at most 35 characters"):
        TicketCreate(**TICKET, language="x" * 36)


def test_an_article_refuses_a_bad_locale_as_a_ticket_does():
    with pytest.raises(ValidationError, match=f"'klingon' {NOT_A_TAG}"):
        ArticleCreate(title="Pairing", body="Hold the button.", kind=ArticleKind.FAQ, locale="klingon")


def test_a_blank_macro_language_means_any_language():
    # The macro form's "any language" choice sends an empty string.
    assert MacroWrite(title="Greeting", body="Hello", language=" ").language is None


def test_a_macro_refuses_a_bad_language_as_a_ticket_does():
    with pytest.raises(ValidationError, match=f"'klingon' {NOT_A_TAG}"):
        MacroWrite(title="Greeting", body="Hello", language="klingon")
