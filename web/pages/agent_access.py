"""Who may use the agent workspace pages: signed-in staff (admins for some actions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from accounts.service import Principal
from aftercare.errors import Forbidden, NotAuthenticated
from web.deps import PagePrincipal


def require_page_staff(principal: PagePrincipal) -> Principal:
    if principal.user is None:
        raise NotAuthenticated("sign in as an agent")
    if not principal.is_staff:
        raise Forbidden("agents only")
    return principal


def require_page_admin(principal: PagePrincipal) -> Principal:
    require_page_staff(principal)
    if not principal.is_admin:
        raise Forbidden("admins only")
    return principal


PageStaff = Annotated[Principal, Depends(require_page_staff)]
PageAdmin = Annotated[Principal, Depends(require_page_admin)]
