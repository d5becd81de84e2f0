"""Claims API: warranty, repair and return claims on purchases (``aftersales.claims``).

A customer (with their account's token) opens claims on their own purchases only; someone else's
purchase or claim is "not found". Agents open claims for anyone, list them and move them along
the legal states (an illegal move is 409 with the allowed ones named).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accounts import guards
from aftersales import claims
from aftersales.claim_models import ClaimKind, ClaimStatus
from aftersales.claim_schemas import ClaimCreate, ClaimRead, ClaimStatusUpdate
from web.deps import API_SIGN_IN, ApiPrincipal, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["claims"])


@router.post("/claims", response_model=ClaimRead, status_code=201, responses=error_responses(404))
def open_claim(data: ClaimCreate, session: DbSession, principal: ApiPrincipal) -> ClaimRead:
    guards.require_user(principal, API_SIGN_IN)
    return claims.claim_read(claims.open_claim(session, data, principal))


@router.get("/claims", response_model=list[ClaimRead])
def list_claims(
    session: DbSession,
    principal: StaffPrincipal,
    status: ClaimStatus | None = None,
    product_id: Annotated[int | None, Query(ge=1)] = None,
    kind: ClaimKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ClaimRead]:
    rows = claims.list_claims(session, status=status, product_id=product_id, kind=kind, limit=limit, offset=offset)
    return [claims.claim_read(row) for row in rows]


@router.get("/claims/{claim_id}", response_model=ClaimRead, responses=error_responses(404))
def get_claim(claim_id: int, session: DbSession, principal: ApiPrincipal) -> ClaimRead:
    guards.require_user(principal, API_SIGN_IN)
    return claims.claim_read(claims.get_claim_for(session, claim_id, principal))


@router.patch("/claims/{claim_id}", response_model=ClaimRead, responses=error_responses(404, 409))
def change_claim(claim_id: int, data: ClaimStatusUpdate, session: DbSession, principal: StaffPrincipal) -> ClaimRead:
    claim = claims.get_claim_for(session, claim_id, principal)
    return claims.claim_read(claims.change_status(session, claim, data.status, principal))
