"""The e-mails after-sales sends (tips, surveys, broadcasts): subject, text and HTML per language.

Article text is the knowledge base's Markdown rendered by ``kb.markdown.render_markdown`` (which
sanitises); everything else is escaped by Jinja's autoescape. Unsubscribe links and headers are
the outbox's job, added to every message it sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from accounts.models import Customer
from aftercare.config import get_settings
from aftersales.email_strings import strings_for
from aftersales.models import (
    Broadcast,
    Product,
    ProgrammeStep,
    SurveyInvitation,
    SurveyKind,
)
from aftersales.tips import TipChoice
from helpdesk.models import Ticket
from kb import urls
from kb.markdown import render_markdown

TEMPLATES_DIR = Path(__file__).parent / "email_templates"
CSAT_SCORES = range(1, 6)
NPS_SCORES = range(0, 11)


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str
    language: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_email(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)


def greeting_line(words: dict[str, str], customer: Customer) -> str:
    name = (customer.name or "").strip()
    return words["greeting"].format(name=name) if name else words["greeting_anonymous"]


def tip_email(
    customer: Customer,
    product: Product,
    step: ProgrammeStep,
    choice: TipChoice,
    *,
    tracking: tuple[str, str] | None = None,
) -> EmailContent:
    """A tip; with ``tracking`` (pixel URL, click URL) the link and an image report opens and clicks."""
    # The frame speaks the customer's language even when the article exists only in its source one.
    language, words = strings_for(customer.language)
    context = {
        "w": words,
        "greeting": greeting_line(words, customer),
        "intro": words[f"intro_{step.kind}"].format(product=product.name),
        "title": choice.content.title,
        "body_text": choice.content.body_markdown,
        "body_html": render_markdown(choice.content.body_markdown),
        "url": tracking[1]
        if tracking
        else urls.article_url(get_settings().base_url, choice.article.slug, choice.language),
        "pixel": tracking[0] if tracking else None,
        "why": words["why_tip"].format(product=product.name),
        "language": language,
    }
    return EmailContent(
        subject=f"{product.name}: {choice.content.title}",
        text=render_email("tip.txt", **context),
        html=render_email("tip.html", **context),
        language=language,
    )


def survey_links(base_link: str, kind: SurveyKind) -> list[tuple[int, str]]:
    # A score in the link only pre-selects it: the page still needs a click, so scanners can't vote.
    scores = CSAT_SCORES if kind == SurveyKind.CSAT else NPS_SCORES
    return [(score, f"{base_link}&score={score}") for score in scores]


def survey_email(
    invitation: SurveyInvitation,
    customer: Customer,
    link: str,
    *,
    ticket: Ticket | None = None,
    product: Product | None = None,
) -> EmailContent:
    language, words = strings_for(invitation.language)
    kind = SurveyKind(invitation.kind)
    if kind == SurveyKind.CSAT:
        subject = words["csat_subject"].format(
            ticket_id=ticket.id if ticket else "", subject=ticket.subject if ticket else ""
        )
        intro = words["csat_intro"]
        low, high = words["csat_low"], words["csat_high"]
    else:
        product_name = product.name if product is not None else words["our_product"]
        subject = words["nps_subject"].format(product=product_name)
        intro = words["nps_intro"].format(product=product_name)
        low, high = words["nps_low"], words["nps_high"]
    context = {
        "w": words,
        "greeting": greeting_line(words, customer),
        "intro": intro,
        "low": low,
        "high": high,
        "links": survey_links(link, kind),
        "link": link,
        "language": language,
    }
    return EmailContent(
        subject=subject,
        text=render_email("survey.txt", **context),
        html=render_email("survey.html", **context),
        language=language,
    )


def broadcast_email(broadcast: Broadcast, customer: Customer) -> EmailContent:
    language, words = strings_for(customer.language)
    context = {
        "w": words,
        "greeting": greeting_line(words, customer),
        "body_text": broadcast.body,
        "body_html": render_markdown(broadcast.body),
        "language": language,
    }
    return EmailContent(
        subject=broadcast.subject,
        text=render_email("broadcast.txt", **context),
        html=render_email("broadcast.html", **context),
        language=language,
    )
