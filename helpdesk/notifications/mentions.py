"""``@name`` in internal notes: who is meant, and the note as HTML with the mentions marked.

Names have spaces, so a mention is any of: ``@"Agnieszka Nowak"`` (quoted, any case), the full
name written out (``@Agnieszka Nowak``), the first name when only one active agent has it
(``@Agnieszka``), or the local part of the agent's address (``@agnieszka``). An ``@`` inside a
word (an e-mail address) is not a mention. A name that fits nobody, or fits several agents, is
left as text: nobody is told, rather than the wrong person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User

# "@" at the start or after something that is not part of a word (so not in "a@b.com").
_AT = re.compile(r"(?<![\w.@])@")
_QUOTED = re.compile(r'"([^"\n]{1,200})"')
_TOKEN = re.compile(r"[\w][\w.\-]*", re.UNICODE)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    user_id: int
    name: str


def active_staff(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role.in_([Role.AGENT, Role.ADMIN]), User.is_active).order_by(User.id))
    )


def _index(staff: Sequence[User]) -> tuple[dict[str, User], dict[str, User]]:
    """Unambiguous first names and address local parts, folded, to the agent they name."""
    first: dict[str, list[User]] = {}
    local: dict[str, list[User]] = {}
    for user in staff:
        words = user.name.split()
        if words:
            first.setdefault(words[0].casefold(), []).append(user)
        local.setdefault(user.email.partition("@")[0].casefold(), []).append(user)
    return (
        {key: users[0] for key, users in first.items() if len(users) == 1},
        {key: users[0] for key, users in local.items() if len(users) == 1},
    )


def _full_name_at(text: str, position: int, staff: Sequence[User]) -> tuple[User, int] | None:
    """The longest staff name written out at ``position``, ending at a word boundary."""
    folded = text[position:].casefold()
    for user in sorted(staff, key=lambda u: len(u.name), reverse=True):
        name = user.name.casefold()
        if " " in name and folded.startswith(name):
            end = position + len(user.name)
            if end == len(text) or not (text[end].isalnum() or text[end] == "_"):
                return user, end
    return None


def find_mentions(text: str, staff: Sequence[User]) -> list[Mention]:
    """Every mention of an agent in ``text``, in order (spans cover the ``@`` and the name)."""
    by_first, by_local = _index(staff)
    by_name = {user.name.casefold(): user for user in staff}
    found: list[Mention] = []
    for at in _AT.finditer(text):
        start = at.start()
        if found and start < found[-1].end:
            continue
        rest = at.end()
        user: User | None = None
        end = rest
        quoted = _QUOTED.match(text, rest)
        if quoted:
            user, end = by_name.get(quoted.group(1).strip().casefold()), quoted.end()
        else:
            full = _full_name_at(text, rest, staff)
            if full is not None:
                user, end = full
            else:
                token = _TOKEN.match(text, rest)
                if token:
                    # A sentence's full stop is not part of the name ("ask @Agnieszka.").
                    word = token.group(0).rstrip(".-")
                    key = word.casefold()
                    user, end = by_local.get(key) or by_first.get(key), rest + len(word)
        if user is not None:
            found.append(Mention(start=start, end=end, user_id=user.id, name=user.name))
    return found


def mentioned_user_ids(text: str, staff: Sequence[User]) -> list[int]:
    """The agents mentioned, each once, in the order first mentioned."""
    return list(dict.fromkeys(mention.user_id for mention in find_mentions(text, staff)))


def mentions_html(text: str, staff: Sequence[User]) -> Markup:
    """The note escaped, with each mention in ``<span class="mention">`` (its text as written)."""
    parts: list[str] = []
    position = 0
    for mention in find_mentions(text, staff):
        parts.append(str(escape(text[position : mention.start])))
        parts.append(
            f'<span class="mention" data-user-id="{mention.user_id}" title="{escape(mention.name)}">'
            f"{escape(text[mention.start : mention.end])}</span>"
        )
        position = mention.end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))
