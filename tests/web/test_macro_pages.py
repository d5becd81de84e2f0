"""Canned replies pages: admins manage them, agents only read them, every form needs CSRF."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Role
from helpdesk.models import Macro
from tests.web.pages_support import csrf_from, sign_in


def test_admin_creates_a_macro(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(client.get("/agent/macros/new").text)
    response = client.post(
        "/agent/macros",
        data={
            "csrf_token": token,
            "title": "Refund policy",
            "body": "Hi {{customer.name}}, refunds take 5 days.",
            "language": "en",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert session.scalar(select(Macro.body).where(Macro.title == "Refund policy")).startswith("Hi {{customer.name}}")


def test_unknown_placeholder_shows_the_form_again(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(client.get("/agent/macros/new").text)
    response = client.post("/agent/macros", data={"csrf_token": token, "title": "Bad", "body": "{{ticket.secret}}"})
    assert response.status_code == 422 and "ticket.secret" in response.text and "{{ticket.secret}}" in response.text


def test_admin_edits_and_deletes(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(client.get("/agent/macros/new").text)
    client.post("/agent/macros", data={"csrf_token": token, "title": "Draft", "body": "Text"})
    macro = session.scalar(select(Macro).where(Macro.title == "Draft"))
    client.post(f"/agent/macros/{macro.id}", data={"csrf_token": token, "title": "Final", "body": "Better text"})
    session.refresh(macro)
    assert (macro.title, macro.body) == ("Final", "Better text")
    client.post(f"/agent/macros/{macro.id}/delete", data={"csrf_token": token})
    assert session.scalar(select(Macro).where(Macro.id == macro.id)) is None


def test_agent_sees_the_list_but_cannot_change_it(client, session):
    sign_in(client, session, role=Role.AGENT)
    html = client.get("/agent/macros").text
    assert "Canned replies" in html and "/agent/macros/new" not in html
    assert client.get("/agent/macros/new").status_code == 403
    token = csrf_from(html)
    assert client.post("/agent/macros", data={"csrf_token": token, "title": "X", "body": "Y"}).status_code == 403


def test_macro_form_needs_csrf(client, session):
    sign_in(client, session, role=Role.ADMIN)
    assert client.post("/agent/macros", data={"title": "X", "body": "Y"}).status_code == 403


def test_macro_text_is_escaped_in_the_list(client, session):
    sign_in(client, session, role=Role.ADMIN)
    token = csrf_from(client.get("/agent/macros/new").text)
    client.post("/agent/macros", data={"csrf_token": token, "title": "<b>bold</b>", "body": "<script>x()</script>"})
    html = client.get("/agent/macros").text
    assert "<script>x()</script>" not in html and "&lt;script&gt;" in html and "<b>bold</b>" not in html
