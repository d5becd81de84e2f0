"""Sample renderings of the help desk's own e-mails, for the admins' preview page."""

from __future__ import annotations

from accounts.models import LinkPurpose
from helpdesk.email.account_link_mail import account_link_url
from helpdesk.email.models import EmailKind
from helpdesk.email.notifications import Suggestion
from helpdesk.email.rendering import RenderedEmail, greeting, render_email, render_footer
from helpdesk.models import Ticket

PREVIEWS = {
    "ticket_confirmation": "Confirmation of a new ticket (with article suggestions)",
    "agent_reply": "An agent's reply",
    "ticket_link": "A new link to a request (the customer's expired or was revoked)",
    "sign_in_link": "A sign-in link (a customer asked to sign in without a password)",
    "password_reset_link": "A password reset link (someone chose “Forgot your password?”)",
    "invitation_link": "An invitation to the team (an admin invited an agent or admin)",
    "account_deletion_link": "Confirming an account's deletion (a customer chose “Delete my account”)",
    "footer": "Unsubscribe footer under tips, news and surveys",
}
SAMPLE_SUBJECTS = {
    "en": "Thermostat keeps losing Wi-Fi",
    "pl": "Odkurzacz nie wraca do stacji ładującej",
    "id": "Earbud kiri tidak ada suara",
    "tl": "Paano i-reset ang thermostat?",
    "th": "หูฟังเชื่อมต่อบลูทูธไม่ได้",
}
SAMPLE_LINK = "https://help.example.com/tickets/1234?access_token=SAMPLE"
LINK_PREVIEWS = {
    "sign_in_link": LinkPurpose.SIGN_IN,
    "password_reset_link": LinkPurpose.PASSWORD_RESET,
    "invitation_link": LinkPurpose.INVITATION,
    "account_deletion_link": LinkPurpose.ACCOUNT_DELETION,
}


def render_preview(name: str, language: str) -> RenderedEmail:
    ticket = Ticket(id=1234, subject=SAMPLE_SUBJECTS.get(language, SAMPLE_SUBJECTS["en"]), language=language)
    if name == "footer":
        text, html = render_footer(EmailKind.MARKETING, language, "https://help.example.com/unsubscribe/SAMPLE")
        body = "<!doctype html><html><body><p>…</p>" + html + "</body></html>"
        return RenderedEmail(subject="(footer)", text=text, html=body, language=language)
    if name == "ticket_link":
        return render_email(
            "ticket_link",
            language,
            {
                "ticket": ticket,
                "greeting": greeting(language, "Alex"),
                "link": SAMPLE_LINK,
                "days": 30,
            },
        )
    if name in LINK_PREVIEWS:
        purpose = LINK_PREVIEWS[name]
        lasts = {"days": 7} if purpose is LinkPurpose.INVITATION else {"minutes": 15}
        return render_email(
            "account_link",
            language,
            {
                "purpose": str(purpose),
                "greeting": greeting(language, "Alex"),
                "link": account_link_url("https://help.example.com", purpose, "SAMPLE"),
                **lasts,
            },
        )
    if name == "agent_reply":
        return render_email(
            "agent_reply",
            language,
            {
                "ticket": ticket,
                "body": "Hello Alex,\n\nplease hold the dial for 10 seconds until the light blinks.\n"
                "More: https://help.example.com/articles/reset",
                "agent_name": "Bruno Agent",
                "link": SAMPLE_LINK,
            },
        )
    return render_email(
        "ticket_confirmation",
        language,
        {
            "ticket": ticket,
            "greeting": greeting(language, "Alex"),
            "link": SAMPLE_LINK,
            "is_reply": True,
            "suggestions": [
                Suggestion(
                    "How to reset your Nimbus thermostat",
                    "https://help.example.com/articles/reset",
                    article_id=7,
                    answers=True,
                    solved_url="https://help.example.com/tickets/1234/solved/7?access_token=SAMPLE",
                ),
                Suggestion(
                    "Reconnect the Nimbus thermostat to Wi-Fi",
                    "https://help.example.com/articles/wifi",
                    article_id=8,
                    language="en" if language != "en" else None,
                    solved_url="https://help.example.com/tickets/1234/solved/8?access_token=SAMPLE",
                ),
            ],
        },
    )
