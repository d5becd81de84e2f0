"""Collision detection on the agent's ticket page: the heartbeat that says who else is there.

The page's presence box posts every few seconds (htmx, CSRF header) and the reply box posts
"typing" while keys are pressed; each post records this agent's heartbeat and answers with the
box listing the other agents on the ticket (``helpdesk.presence``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from aftercare.errors import ValidationFailed
from helpdesk import presence, service
from web.csrf import verify_csrf
from web.deps import DbSession, PageStaff
from web.templating import render

router = APIRouter(prefix="/agent", include_in_schema=False)


@router.post("/tickets/{ticket_id}/presence", dependencies=[Depends(verify_csrf)])
def heartbeat(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    state: Annotated[str, Form(max_length=16)] = presence.PresenceState.VIEWING.value,
) -> Response:
    ticket = service.get_ticket_for(session, ticket_id, principal)
    if state not in set(presence.PresenceState):
        raise ValidationFailed(f"state must be one of: {', '.join(presence.PresenceState)}")
    assert principal.user is not None  # staff pages are signed-in users
    presence.heartbeat(session, ticket.id, principal.user.id, presence.PresenceState(state))
    others = presence.others_present(session, ticket.id, principal.user.id)
    return render(
        request,
        "agent/_presence_list.html",
        {"ticket": ticket, "present": others},
        headers={"Cache-Control": "no-store"},
    )
