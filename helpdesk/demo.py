"""Demo data of the help desk: agents, customers and tickets in five languages.

Loaded first by ``aftercare demo`` (``entry.demo``), idempotent: a second run adds nothing.
Products in the demo: the Nimbus smart thermostat, the Aurora robot vacuum and Pulse earbuds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.service import create_user, principal_for_user
from helpdesk import service
from helpdesk.models import MessageKind, Ticket, TicketChannel, TicketStatus
from helpdesk.schemas import MessageCreate, TicketCreate, TicketUpdate

DEMO_PASSWORD = "aftercare-demo"

DEMO_STAFF = [
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("agent@example.com", "Bruno Agent", Role.AGENT),
    ("agnieszka@example.com", "Agnieszka Nowak", Role.AGENT),
]


@dataclass(frozen=True)
class DemoTicket:
    email: str
    name: str
    subject: str
    body: str
    reply: str | None = None
    status: TicketStatus | None = None
    tags: tuple[str, ...] = ()


DEMO_TICKETS = [
    DemoTicket(
        "emma.jones@example.com",
        "Emma Jones",
        "Thermostat keeps losing Wi-Fi",
        "Hi, my Nimbus thermostat disconnects from the Wi-Fi every night and the app says it is offline. "
        "The router is in the next room. What can I do?",
        reply="Hi Emma, thanks for writing. Could you tell us which Wi-Fi band (2.4 GHz or 5 GHz) your router uses?",
        status=TicketStatus.PENDING,
        tags=("nimbus", "wifi"),
    ),
    DemoTicket(
        "piotr.kowalski@example.com",
        "Piotr Kowalski",
        "Odkurzacz nie wraca do stacji ładującej",
        "Dzień dobry, mój robot Aurora od wczoraj nie wraca do stacji dokującej i rozładowuje się na środku "
        "salonu. Stacja stoi przy ścianie, a dioda świeci na zielono. Jak to naprawić?",
        tags=("aurora", "docking"),
    ),
    DemoTicket(
        "siti.rahma@example.com",
        "Siti Rahmawati",
        "Earbud kiri tidak ada suara",
        "Halo, earbud Pulse sebelah kiri saya tidak mengeluarkan suara sama sekali, padahal yang kanan normal. "
        "Saya sudah mencoba mengisi daya semalaman. Bagaimana cara memperbaikinya?",
        tags=("pulse", "audio"),
    ),
    DemoTicket(
        "jose.reyes@example.com",
        "Jose Reyes",
        "Paano i-reset ang thermostat?",
        "Magandang araw po. Gusto ko pong i-reset ang aking Nimbus thermostat sa factory settings dahil lilipat "
        "na kami ng bahay. Paano po ito gagawin?",
        reply="Magandang araw po, Jose! Pindutin nang matagal ang dial nang 10 segundo hanggang mag-blink ang ilaw.",
        status=TicketStatus.SOLVED,
        tags=("nimbus", "reset"),
    ),
    DemoTicket(
        "somchai.s@example.com",
        "Somchai Saetang",
        "หูฟังเชื่อมต่อบลูทูธไม่ได้",
        "สวัสดีครับ หูฟัง Pulse ของผมเชื่อมต่อบลูทูธกับโทรศัพท์ไม่ได้ ลองปิดเปิดใหม่แล้วก็ยังไม่ได้ครับ ต้องทำอย่างไรดีครับ",
        tags=("pulse", "bluetooth"),
    ),
    DemoTicket(
        "liam.murphy@example.com",
        "Liam Murphy",
        "Vacuum making a loud grinding noise",
        "Since this morning my Aurora vacuum makes a loud grinding noise when it starts cleaning. "
        "It still moves but I am worried it will break.",
        tags=("aurora", "noise"),
    ),
    DemoTicket(
        "marta.wisniewska@example.com",
        "Marta Wiśniewska",
        "Jak ustawić harmonogram ogrzewania?",
        "Witam, kupiłam termostat Nimbus tydzień temu. Chciałabym ustawić inną temperaturę na noc i na dzień "
        "w tygodniu. Gdzie w aplikacji znajdę harmonogram?",
        tags=("nimbus", "schedule"),
    ),
    DemoTicket(
        "budi.santoso@example.com",
        "Budi Santoso",
        "Robot vakum tidak mau menyala",
        "Robot vakum Aurora saya tidak mau menyala sama sekali setelah listrik padam kemarin. "
        "Lampu di stasiun pengisian juga mati. Mohon bantuannya.",
        tags=("aurora", "power"),
    ),
]


def _staff(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    for email, name, role in DEMO_STAFF:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD)
        users[email] = user
    return users


def load_demo(session: Session, echo: Callable[[str], None] = print) -> int:
    """Demo staff and tickets; returns how many tickets were new."""
    staff = _staff(session)
    agent = principal_for_user(staff["agent@example.com"])
    created = 0
    for item in DEMO_TICKETS:
        exists = session.scalar(select(Ticket.id).where(Ticket.subject == item.subject))
        if exists is not None:
            continue
        ticket = service.create_ticket(
            session,
            TicketCreate(customer_email=item.email, customer_name=item.name, subject=item.subject, body=item.body),
            channel=TicketChannel.WEB,
        )
        service.update_ticket(session, ticket, TicketUpdate(tags=list(item.tags)), agent)
        if item.reply is not None:
            service.update_ticket(session, ticket, TicketUpdate(assignee_id=agent.user.id), agent)
            service.add_message(
                session,
                ticket,
                MessageCreate(body=item.reply, kind=MessageKind.PUBLIC_REPLY, status=item.status),
                agent,
            )
        created += 1
        echo(f"  ticket #{ticket.id} [{ticket.language}] {ticket.subject}")
    return created
