"""Interface language: choice by switcher cookie, Accept-Language, default; catalogues complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.web.pages_support import csrf_from
from web import i18n

LOCALE_DIR = Path(i18n.__file__).parent / "locale"
TRANSLATED = ["pl", "id", "tl", "th"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The portal, the agent workspace and the page chrome must be fully translated; other areas'
# strings share the catalogue and show in English until someone translates them. Customers reach
# the ticket-link pages, the receipt's texts and the API-token page (any signed-in user), so they
# are listed too; so is the admins' outbox page, a staff page like the agent's.
FULLY_TRANSLATED_SOURCES = (
    "web/templates/base.html",
    "web/templates/pages/",
    "web/templates/agent/",
    "web/templating.py",
    "web/pages/portal.py",
    "web/pages/agent.py",
    "web/pages/agent_macros.py",
    "web/pages/auth.py",
    "web/pages/email_sign_in.py",
    "web/pages/password_links.py",
    "web/pages/account.py",
    "web/pages/forms.py",
    "web/templates/access/",
    "web/pages/ticket_links.py",
    "web/pages/account_tokens.py",
    "web/pages/intake_text.py",
    "web/pages/self_resolution.py",
    "web/templates/email/outbox.html",
)


def _fully_translated(locations) -> bool:
    return any(path.startswith(FULLY_TRANSLATED_SOURCES) for path, _ in locations)


def test_parse_accept_language_orders_by_quality():
    assert i18n.parse_accept_language("en;q=0.5, th-TH, pl;q=0.8") == ["th-TH", "pl;q=0.8".split(";")[0], "en"]


def test_parse_accept_language_drops_zero_quality_and_wildcard():
    assert i18n.parse_accept_language("pl;q=0, *;q=0.5, id") == ["id"]


def test_parse_accept_language_survives_garbage():
    assert i18n.parse_accept_language(";;, q=abc;x, ,en;q=oops") == ["q=abc"]


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "pl-PL,pl;q=0.9,en;q=0.8", "pl"),
        (None, "de-DE, fil;q=0.7", "tl"),
        ("th", "pl-PL", "th"),
        ("xx", "id-ID", "id"),
        (None, "de, fr", "en"),
    ],
)
def test_choose_language(cookie, header, expected):
    available = ["en", "pl", "id", "tl", "th"]
    assert (
        i18n.choose_language(query=None, cookie=cookie, accept_language=header, available=available, default="en")
        == expected
    )


def test_query_parameter_beats_cookie():
    assert (
        i18n.choose_language(
            query="th", cookie="pl", accept_language="id", available=["en", "pl", "th", "id"], default="en"
        )
        == "th"
    )


def test_browser_language_translates_the_page(client):
    html = client.get("/contact", headers={"Accept-Language": "pl-PL,pl;q=0.9"}).text
    assert '<html lang="pl"' in html and "Skontaktuj się z pomocą" in html


def test_page_says_which_language_it_is_in_and_varies(client):
    response = client.get("/", headers={"Accept-Language": "id"})
    assert response.headers["content-language"] == "id"
    assert "Accept-Language" in response.headers["vary"]


def test_language_switcher_sets_cookie_and_returns(client):
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/language", data={"csrf_token": token, "language": "th", "next": "/contact"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/contact"
    cookie = response.headers["set-cookie"]
    assert "aftercare_lang=th" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_switcher_choice_beats_browser_language(client):
    token = csrf_from(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "language": "th", "next": "/"})
    html = client.get("/contact", headers={"Accept-Language": "pl"}).text
    assert '<html lang="th"' in html and "ติดต่อฝ่ายสนับสนุน" in html


def test_switcher_refuses_offsite_return_address(client):
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/language",
        data={"csrf_token": token, "language": "pl", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_switcher_ignores_unknown_language(client):
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/language", data={"csrf_token": token, "language": "klingon", "next": "/"}, follow_redirects=False
    )
    assert "aftercare_lang" not in response.headers.get("set-cookie", "")


def test_switcher_needs_csrf(client):
    client.get("/")
    assert client.post("/language", data={"language": "pl", "next": "/"}).status_code == 403


def test_contact_form_errors_are_in_the_readers_language(client):
    token = csrf_from(client.get("/contact").text)
    response = client.post(
        "/contact",
        headers={"Accept-Language": "pl"},
        data={
            "csrf_token": token,
            "customer_email": "nope",
            "subject": "Temat",
            "body": "Treść",
        },
    )
    assert response.status_code == 422 and "Podaj prawidłowy adres e-mail" in response.text


def test_plural_forms_follow_the_language(client, session):
    # Polish has three plural forms; 5 takes the third ("zgłoszeń").
    assert i18n.translations("pl").ngettext("%(count)s ticket", "%(count)s tickets", 5) == "%(count)s zgłoszeń"
    assert i18n.translations("pl").ngettext("%(count)s ticket", "%(count)s tickets", 3) == "%(count)s zgłoszenia"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete_and_keeps_placeholders(language):
    template = read_po((LOCALE_DIR / "messages.pot").open("rb"))
    catalog = read_po((LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb"))
    for message in template:
        if not message.id or not _fully_translated(message.locations):
            continue
        translated = catalog.get(message.id)
        assert translated is not None, f"{language}: {message.id!r} missing; run pybabel update"
        assert not translated.fuzzy, f"{language}: {message.id!r} is fuzzy"
        strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        for string in strings:
            assert string, f"{language}: {message.id!r} untranslated"
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(source)), (
                f"{language}: placeholders differ in {message.id!r}"
            )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translated_entry_keeps_the_placeholders_of_its_source(language):
    # Not only the fully translated areas: a translated string anywhere with a lost or renamed
    # placeholder breaks its page in that language (KeyError, or a value never shown).
    catalog = read_po((LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb"))
    checked = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(source) for source in sources))
        for string in strings:
            if string:
                assert set(PLACEHOLDER.findall(string)) <= expected and (
                    set(PLACEHOLDER.findall(string)) == expected or len(sources) > 1
                ), f"{language}: placeholders differ in {message.id!r}: {string!r}"
                checked += 1
    assert checked > 400, checked  # the catalogues hold several hundred translated entries


def test_template_is_up_to_date_with_the_code():
    """Every string the app marks for translation is in messages.pot (run pybabel extract if not)."""
    from babel.messages.extract import extract_from_dir

    root = Path(i18n.__file__).parent.parent
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for path, _, message, _, _ in extract_from_dir(str(root), method_map, options, keywords=keywords)
        if path.startswith(FULLY_TRANSLATED_SOURCES)
    }
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po((LOCALE_DIR / "messages.pot").open("rb"))}
    missing = sorted(found - template)
    assert not missing, f"strings missing from messages.pot (run the extract command in babel.cfg): {missing[:10]}"
