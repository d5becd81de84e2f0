"""Canned replies pages: every agent reads them, admins create, edit and delete them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from aftercare.errors import Conflict
from helpdesk import macros
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PageAdmin, PageStaff
from web.pages.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/macros")


def _form(request: Request, settings, *, macro=None, values=None, errors=None, status_code: int = 200) -> Response:
    values = values or (
        {"title": macro.title, "body": macro.body, "language": macro.language or ""}
        if macro is not None
        else {"title": "", "body": "", "language": ""}
    )
    context = {
        "macro": macro,
        "values": values,
        "errors": errors or {},
        "languages": settings.languages,
        "placeholders": macros.PLACEHOLDERS,
    }
    return render(request, "agent/macro_form.html", context, status_code=status_code)


def _write(title: str, body: str, language: str) -> macros.MacroWrite:
    return macros.MacroWrite(title=title, body=body, language=language or None)


@router.get("")
def macro_list(request: Request, session: DbSession, principal: PageStaff) -> Response:
    return render(
        request, "agent/macros.html", {"macros": macros.list_macros(session), "placeholders": macros.PLACEHOLDERS}
    )


@router.get("/new")
def new_macro(request: Request, settings: AppSettings, principal: PageAdmin) -> Response:
    return _form(request, settings)


@router.post("", dependencies=[Depends(verify_csrf)])
def create_macro(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageAdmin,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    values = {"title": title, "body": body, "language": language}
    try:
        macros.create_macro(session, _write(title, body, language), principal)
    except ValidationError as error:
        return _form(request, settings, values=values, errors=field_errors(error), status_code=422)
    except Conflict as error:
        return _form(request, settings, values=values, errors={"title": error.message}, status_code=409)
    return RedirectResponse("/agent/macros", status_code=303)


@router.get("/{macro_id}/edit")
def edit_macro(
    macro_id: int, request: Request, session: DbSession, settings: AppSettings, principal: PageAdmin
) -> Response:
    return _form(request, settings, macro=macros.get_macro(session, macro_id))


@router.post("/{macro_id}", dependencies=[Depends(verify_csrf)])
def update_macro(
    macro_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageAdmin,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    macro = macros.get_macro(session, macro_id)
    values = {"title": title, "body": body, "language": language}
    try:
        macros.update_macro(session, macro, _write(title, body, language), principal)
    except ValidationError as error:
        return _form(request, settings, macro=macro, values=values, errors=field_errors(error), status_code=422)
    except Conflict as error:
        return _form(request, settings, macro=macro, values=values, errors={"title": error.message}, status_code=409)
    return RedirectResponse("/agent/macros", status_code=303)


@router.post("/{macro_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_macro(macro_id: int, session: DbSession, principal: PageAdmin) -> Response:
    macros.delete_macro(session, macros.get_macro(session, macro_id), principal)
    return RedirectResponse("/agent/macros", status_code=303)
