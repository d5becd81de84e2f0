"""Who may: the principal-level guards every layer uses (domain services and web dependencies).

Two questions, kept apart because the channels answer the first differently:

- *Who is asking?* ``require_credentials`` accepts any credential (a bearer token, a customer, a
  ticket's signed link), as the JSON API does; ``require_user`` wants a signed-in user, as pages
  and the forum do (a ticket link alone is no account). Failing either is ``NotAuthenticated``
  (401; pages turn it into the sign-in page).
- *May they?* ``require_staff`` and ``require_admin`` check the role and raise ``Forbidden`` (403).
  They do not ask for a sign-in first: a domain service that is only ever called behind one says
  "forbidden" to anyone else, an anonymous caller included.

Messages are parameters because each channel words its own ("sign in as an agent", "send
'Authorization: Bearer <token>'"); the defaults are the common ones. Permissions on particular
things (a forum post, a ticket) stay in their domains, built on these.
"""

from __future__ import annotations

from accounts.models import Customer, User
from accounts.service import Principal
from aftercare.errors import Forbidden, NotAuthenticated

SIGN_IN = "sign in"
AGENTS_ONLY = "agents only"
ADMINS_ONLY = "admins only"


def require_credentials(principal: Principal, message: str = SIGN_IN) -> Principal:
    """Any credential at all (a user, a customer or a ticket link holder), else 401."""
    if principal.is_anonymous:
        raise NotAuthenticated(message)
    return principal


def require_user(principal: Principal, message: str = SIGN_IN) -> User:
    """The signed-in user, else 401."""
    if principal.user is None:
        raise NotAuthenticated(message)
    return principal.user


def require_customer(principal: Principal, message: str = SIGN_IN) -> Customer:
    """The signed-in customer's record, else 403 (staff have none)."""
    if principal.user is None or principal.customer is None:
        raise Forbidden(message)
    return principal.customer


def require_staff(principal: Principal, message: str = AGENTS_ONLY) -> Principal:
    """An agent or admin, else 403."""
    if not principal.is_staff:
        raise Forbidden(message)
    return principal


def require_admin(principal: Principal, message: str = ADMINS_ONLY) -> Principal:
    """An admin, else 403."""
    if not principal.is_admin:
        raise Forbidden(message)
    return principal
