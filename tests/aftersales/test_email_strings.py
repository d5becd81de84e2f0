"""aftersales.email_strings.strings_for: a customer's language, however it is spelt, picks the e-mail's words."""

from __future__ import annotations

from aftersales.email_strings import strings_for


def test_a_tag_with_a_region_picks_its_language():
    language, _ = strings_for("pl-PL")

    assert language == "pl"


def test_an_older_code_picks_the_language_it_names():
    # "fil" (Filipino) is written with the Tagalog strings, keyed "tl".
    language, _ = strings_for("fil")

    assert language == "tl"


def test_an_unknown_language_falls_back_to_the_site_default(settings):
    language, _ = strings_for("de")

    assert language == settings.default_language
