"""Knowledge studio: version history of one locale of an article, a diff between versions, restore."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from accounts.models import User
from kb import service, versions
from web.csrf import verify_csrf
from web.deps import DbSession, PageAdmin, PageStaff
from web.pages.admin_diff import text_diff
from web.templating import render

router = APIRouter()


@dataclass
class _Empty:
    """The 'before' of the first version: nothing."""

    title: str = ""
    body_markdown: str = ""
    questions: list[str] = field(default_factory=list)


def _authors(session, ids) -> dict[int, str]:
    wanted = {author_id for author_id in ids if author_id is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


@router.get("/articles/{article_id}/history")
def history_page(
    article_id: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    locale: Annotated[str, Query(max_length=35)] = "",
    restored: Annotated[int | None, Query(ge=1)] = None,
    origin: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    article = service.get_article(session, article_id)
    code = service.supported_locale(locale) if locale else article.source_locale
    rows = versions.list_versions(session, article, code)
    return render(
        request,
        "admin/history.html",
        {
            "article": article,
            "locale": code,
            "locales": [
                content.locale for content in sorted(article.contents, key=lambda c: (not c.is_source, c.locale))
            ],
            "versions": rows,
            "authors": _authors(session, [row.author_id for row in rows]),
            "restored": (origin, restored) if restored and origin else None,
            "read_only": not principal.is_admin,
        },
    )


@router.get("/articles/{article_id}/history/{locale}/{number}")
def version_page(
    article_id: int,
    locale: str,
    number: int,
    request: Request,
    session: DbSession,
    principal: PageStaff,
    against: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    article = service.get_article(session, article_id)
    code = service.supported_locale(locale)
    version = versions.get_version(session, article, code, number)
    base_number = against if against is not None else number - 1
    base = versions.get_version(session, article, code, base_number) if base_number >= 1 else _Empty()
    diff = text_diff(base, version, old_label=f"v{base_number}" if base_number >= 1 else "—", new_label=f"v{number}")
    current = versions.current_version(session, article.id, code)
    return render(
        request,
        "admin/version.html",
        {
            "article": article,
            "locale": code,
            "version": version,
            "base_number": base_number,
            "diff": diff,
            "current": current,
            "numbers": list(range(current, 0, -1)),
            "authors": _authors(session, [version.author_id]),
            "read_only": not principal.is_admin,
        },
    )


@router.post("/articles/{article_id}/history/{locale}/{number}/restore", dependencies=[Depends(verify_csrf)])
def restore(
    article_id: int,
    locale: str,
    number: int,
    session: DbSession,
    principal: PageAdmin,
) -> Response:
    article = service.get_article(session, article_id, for_update=True)
    code = service.supported_locale(locale)
    restored = versions.restore_version(session, article, code, number, author=principal.user)
    return RedirectResponse(
        f"/admin/articles/{article.id}/history?locale={code}&origin={number}&restored={restored.version}",
        status_code=303,
    )
