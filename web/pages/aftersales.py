"""After-sales pages: the public survey page and tip tracking; includes the admin page routers.

``/surveys/{signed_token}``: opening the link (GET) only shows the question, a score in the link
is merely pre-selected; answering takes a POST with a CSRF token, i.e. a person's click, so mail
scanners that follow links cannot vote. Admin pages live in ``aftersales_admin`` (products,
programmes, segments, lapsed buyers) and ``aftersales_reports`` (surveys, reports).
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from aftercare.errors import InvalidTransition
from aftersales import surveys, tracking
from aftersales.email_strings import strings_for
from aftersales.emails import survey_links
from aftersales.models import SurveyInvitation, SurveyKind, TipEventKind
from aftersales.schemas import SurveyAnswer
from helpdesk.models import Ticket
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession
from web.pages import aftersales_admin, aftersales_reports
from web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(aftersales_admin.router)
router.include_router(aftersales_reports.router)

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# The page is a private link: keep it out of caches, search engines and Referer headers.
_PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def _survey_page(
    request: Request,
    session,
    invitation: SurveyInvitation,
    token: str,
    *,
    selected: int | None,
    comment: str = "",
    saved: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    language, words = strings_for(invitation.language)
    kind = SurveyKind(invitation.kind)
    ticket = session.get(Ticket, invitation.ticket_id) if invitation.ticket_id else None
    if kind == SurveyKind.CSAT:
        question, low, high, comment_label = (
            words["csat_intro"],
            words["csat_low"],
            words["csat_high"],
            words["comment_csat"],
        )
    else:
        product = invitation.product.name if invitation.product is not None else words["our_product"]
        question = words["nps_intro"].format(product=product)
        low, high, comment_label = words["nps_low"], words["nps_high"], words["comment_nps"]
    response = invitation.response
    if selected is None and response is not None:
        selected = response.score
    return render(
        request,
        "aftersales/survey.html",
        {
            "ui_language": language,
            "w": words,
            "invitation": invitation,
            "token": token,
            "kind": kind,
            "ticket": ticket,
            "question": question,
            "low": low,
            "high": high,
            "comment_label": comment_label,
            "scores": [score for score, _ in survey_links("", kind)],
            "selected": selected,
            "comment": comment or (response.comment if response is not None else ""),
            "answered": response is not None,
            "saved": saved,
            "error": error,
            "open": surveys.is_open(invitation),
            "change_until": words["change_until"].format(date=invitation.closes_at.strftime("%Y-%m-%d")),
        },
        status_code=status_code,
        headers=_PRIVATE_HEADERS,
    )


@router.get("/surveys/{token}")
def survey_page(
    token: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    score: Annotated[int | None, Query(ge=0, le=10)] = None,
    saved: bool = False,
) -> Response:
    invitation = surveys.invitation_from_token(session, settings.secret_key, token)
    kind = SurveyKind(invitation.kind)
    selected = score if score is not None and score in surveys.SCORE_RANGES[kind] else None
    return _survey_page(request, session, invitation, token, selected=selected, saved=saved)


@router.post("/surveys/{token}", dependencies=[Depends(verify_csrf)])
def survey_answer(
    token: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    score: Annotated[str, Form(max_length=3)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    invitation = surveys.invitation_from_token(session, settings.secret_key, token)
    _, words = strings_for(invitation.language)
    kind = SurveyKind(invitation.kind)
    if not score.isdigit() or int(score) not in surveys.SCORE_RANGES[kind]:
        return _survey_page(
            request,
            session,
            invitation,
            token,
            selected=None,
            comment=comment,
            error=words["choose_score"],
            status_code=422,
        )
    try:
        surveys.submit_answer(session, invitation, SurveyAnswer(score=int(score), comment=comment))
    except InvalidTransition:
        return _survey_page(
            request,
            session,
            invitation,
            token,
            selected=int(score),
            comment=comment,
            error=words["closed"],
            status_code=409,
        )
    return RedirectResponse(f"/surveys/{token}?saved=1&lang={invitation.language}", status_code=303)


@router.get("/t/o/{token}.gif")
def tip_opened(token: str, session: DbSession) -> Response:
    delivery = tracking.delivery_for(session, token)
    if delivery is not None:
        tracking.record_event(session, delivery, TipEventKind.OPENED)
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/t/c/{token}")
def tip_clicked(token: str, session: DbSession, settings: AppSettings) -> Response:
    delivery = tracking.delivery_for(session, token)
    if delivery is None:
        return RedirectResponse(settings.base_url + "/", status_code=303)
    tracking.record_event(session, delivery, TipEventKind.CLICKED)
    # A click implies the mail was opened, even when the client blocked the pixel.
    tracking.record_event(session, delivery, TipEventKind.OPENED)
    return RedirectResponse(tracking.click_target(session, delivery), status_code=303)
