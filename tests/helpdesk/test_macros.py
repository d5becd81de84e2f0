"""Canned replies: admin-only changes, placeholder checks, and substitution that can't be injected."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accounts.models import Role
from accounts.service import principal_for_user
from aftercare.errors import Conflict, Forbidden
from helpdesk import macros
from tests.factories import create_staff, create_ticket


@pytest.fixture
def admin(session):
    return principal_for_user(create_staff(session, role=Role.ADMIN, name="Ada Admin"))


def _write(**values):
    return macros.MacroWrite(**{"title": "Greeting", "body": "Hello {{customer.name}}", **values})


def test_placeholders_are_filled(session, admin):
    ticket = create_ticket(session, customer_name="Marta Wiśniewska")
    macro = macros.create_macro(
        session, _write(body="Hi {{ customer.first_name }}, re #{{ticket.id}}. {{agent.name}}"), admin
    )
    assert macros.render_macro(macro, ticket, admin.user) == f"Hi Marta, re #{ticket.id}. Ada Admin"


def test_unknown_placeholder_is_refused_with_the_allowed_list():
    with pytest.raises(ValidationError) as error:
        _write(body="Hi {{customer.password_hash}}")
    assert "customer.password_hash" in str(error.value) and "{{customer.name}}" in str(error.value)


def test_values_are_not_expanded_twice(session, admin):
    # A customer who names themselves like a placeholder gets their name, nothing more.
    ticket = create_ticket(session, customer_name="{{agent.name}}")
    macro = macros.create_macro(session, _write(body="Dear {{customer.name}}"), admin)
    assert macros.render_macro(macro, ticket, admin.user) == "Dear {{agent.name}}"


def test_template_syntax_is_plain_text(session, admin):
    ticket = create_ticket(session)
    body = "{% for x in range(3) %}x{% endfor %} {{ 7*7 }} {{ config }}"
    macro = macros.create_macro(session, _write(body=body), admin)
    assert macros.render_macro(macro, ticket, admin.user) == body


def test_agents_cannot_change_macros(session):
    agent = principal_for_user(create_staff(session))
    with pytest.raises(Forbidden):
        macros.create_macro(session, _write(), agent)


def test_titles_are_unique_ignoring_case(session, admin):
    macros.create_macro(session, _write(title="Refund"), admin)
    with pytest.raises(Conflict):
        macros.create_macro(session, _write(title="refund"), admin)


def test_update_and_delete(session, admin):
    macro = macros.create_macro(session, _write(), admin)
    macros.update_macro(session, macro, _write(title="Renamed", language="pl-PL"), admin)
    assert (macro.title, macro.language) == ("Renamed", "pl")
    macros.delete_macro(session, macro, admin)
    assert macro not in macros.list_macros(session)


def test_list_puts_the_tickets_language_first(session, admin):
    english = macros.create_macro(session, _write(title="A english", language="en"), admin)
    polish = macros.create_macro(session, _write(title="B polish", language="pl"), admin)
    any_language = macros.create_macro(session, _write(title="C any"), admin)
    ordered = [m for m in macros.list_macros(session, language="pl") if m in (english, polish, any_language)]
    assert ordered == [polish, any_language, english]
