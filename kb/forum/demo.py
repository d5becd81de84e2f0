"""Demo forum: categories and threads in five languages with replies, votes and accepted answers.

Loaded by ``aftercare demo`` after the help desk's demo (which creates the agents). Idempotent:
threads are recognised by their title, people by their e-mail address. Everything goes through
the forum's own services, so first-post review, votes and acceptance behave as in real use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.service import Principal, create_user, principal_for_user
from helpdesk.demo import DEMO_PASSWORD
from kb.forum import moderation, threads, votes
from kb.forum.models import ForumReply, ForumThread, PostStatus
from kb.forum.schemas import ReplyCreate, ThreadCreate

CATEGORIES = [
    ("nimbus-thermostat", "Nimbus thermostat", "Wi-Fi, schedules, heating and the Nimbus app."),
    ("aurora-vacuum", "Aurora robot vacuum", "Docking, maps, brushes and cleaning schedules."),
    ("pulse-earbuds", "Pulse earbuds", "Pairing, charging, sound and the case."),
    ("general", "General", "Everything else about our products."),
]

# (e-mail, name, role); agents come from the help desk demo and are looked up, not created.
PEOPLE = [
    ("olivia.brown@example.com", "Olivia Brown", Role.CUSTOMER),
    ("piotr.kowalski@example.com", "Piotr Kowalski", Role.CUSTOMER),
    ("marta.wisniewska@example.com", "Marta Wiśniewska", Role.CUSTOMER),
    ("siti.rahma@example.com", "Siti Rahmawati", Role.CUSTOMER),
    ("jose.reyes@example.com", "Jose Reyes", Role.CUSTOMER),
    ("maria.santos@example.com", "Maria Santos", Role.CUSTOMER),
    ("somchai.s@example.com", "Somchai Saetang", Role.CUSTOMER),
    ("liam.murphy@example.com", "Liam Murphy", Role.CUSTOMER),
    ("agent@example.com", "Bruno Agent", Role.AGENT),
]
NEWCOMER = ("dana.new@example.com", "Dana Newman", Role.CUSTOMER)


@dataclass(frozen=True)
class DemoReply:
    author: str
    body: str
    upvoters: tuple[str, ...] = ()
    downvoters: tuple[str, ...] = ()
    accepted: bool = False


@dataclass(frozen=True)
class DemoThread:
    author: str
    category: str
    language: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    replies: tuple[DemoReply, ...] = field(default_factory=tuple)


DEMO_THREADS = [
    DemoThread(
        "olivia.brown@example.com",
        "nimbus-thermostat",
        "en",
        "Nimbus thermostat shows offline after I changed my router",
        "I replaced my old router with a new mesh system yesterday. Since then the Nimbus app says the "
        "thermostat is **offline**, although heating still follows the schedule. How do I get it back online?",
        ("nimbus", "wifi"),
        (
            DemoReply(
                "agent@example.com",
                "The Nimbus keeps the old network's name and password, so it cannot join the new router.\n\n"
                "1. Hold the dial for **10 seconds** until the ring blinks blue.\n"
                "2. In the app, choose *Settings → Wi-Fi → Join a network*.\n"
                "3. Pick a **2.4 GHz** network: the Nimbus does not use 5 GHz. On a mesh system, turn on the "
                "2.4 GHz band or a compatibility mode.",
                upvoters=("piotr.kowalski@example.com", "liam.murphy@example.com", "maria.santos@example.com"),
                accepted=True,
            ),
            DemoReply(
                "liam.murphy@example.com",
                "Same here with a mesh router. Turning on the separate 2.4 GHz network fixed it for me.",
                upvoters=("olivia.brown@example.com",),
            ),
        ),
    ),
    DemoThread(
        "piotr.kowalski@example.com",
        "aurora-vacuum",
        "pl",
        "Aurora nie wraca do stacji dokującej",
        "Od kilku dni mój odkurzacz Aurora kończy sprzątanie na środku salonu i nie wraca do stacji. "
        "Stacja stoi przy ścianie, dioda świeci na zielono. Czy ktoś miał podobny problem?",
        ("aurora", "docking"),
        (
            DemoReply(
                "marta.wisniewska@example.com",
                "Miałam to samo. Przetrzyj miękką ściereczką czujniki pod spodem robota i okienko na stacji. "
                "Zostaw też po pół metra wolnego miejsca po obu stronach stacji – u mnie pomogło od razu.",
                upvoters=("piotr.kowalski@example.com", "olivia.brown@example.com"),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "siti.rahma@example.com",
        "pulse-earbuds",
        "id",
        "Earbud Pulse kiri tidak ada suara",
        "Earbud kiri saya tidak mengeluarkan suara sama sekali, padahal yang kanan normal. "
        "Sudah saya isi daya semalaman. Ada yang tahu cara memperbaikinya?",
        ("pulse", "audio"),
        (
            DemoReply(
                "agent@example.com",
                "Silakan reset earbud: masukkan keduanya ke dalam case, tekan tombol di case selama 15 detik "
                "sampai lampu berkedip merah-putih, lalu hapus Pulse dari daftar Bluetooth ponsel dan pasangkan lagi.",
                upvoters=("siti.rahma@example.com",),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "jose.reyes@example.com",
        "nimbus-thermostat",
        "tl",
        "Paano i-reset ang Nimbus thermostat?",
        "Lilipat na kami ng bahay at gusto kong ibalik sa factory settings ang aking Nimbus thermostat "
        "bago ko ito tanggalin. Paano po ito gagawin?",
        ("nimbus", "reset"),
        (
            DemoReply(
                "maria.santos@example.com",
                "Pindutin nang matagal ang dial nang 10 segundo hanggang mag-blink ang ilaw, tapos piliin ang "
                '"Factory reset" sa menu. Huwag kalimutang alisin din ito sa app.',
                upvoters=("jose.reyes@example.com", "olivia.brown@example.com"),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "somchai.s@example.com",
        "pulse-earbuds",
        "th",
        "หูฟัง Pulse เชื่อมต่อบลูทูธไม่ได้",
        "หูฟัง Pulse ของผมเชื่อมต่อบลูทูธกับโทรศัพท์ไม่ได้ ลองปิดเปิดใหม่แล้วก็ยังไม่ได้ครับ มีใครเคยเจอไหมครับ",
        ("pulse", "bluetooth"),
        (
            DemoReply(
                "agent@example.com",
                "ลองลบ Pulse ออกจากรายการบลูทูธในโทรศัพท์ก่อน แล้วเปิดฝากล่องค้างไว้ กดปุ่มที่กล่อง 3 วินาที "
                "จนไฟกะพริบสีขาว จากนั้นเลือก Pulse ในโทรศัพท์อีกครั้งครับ",
                upvoters=("somchai.s@example.com",),
            ),
        ),
    ),
    DemoThread(
        "liam.murphy@example.com",
        "aurora-vacuum",
        "en",
        "Can the Aurora vacuum keep maps of two floors?",
        "We live in a two-storey house. Can the Aurora remember a map for each floor, or do I need two robots?",
        ("aurora", "maps"),
    ),
]

NEWCOMER_THREAD = DemoThread(
    NEWCOMER[0],
    "general",
    "en",
    "Where can I buy replacement brushes?",
    "My Aurora's side brush is worn out. Is there an official shop for spare parts?",
    ("aurora", "parts"),
)


def _person(session: Session, email: str, name: str, role: Role) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD)
    return user


def _publish(session: Session, post: ForumThread | ForumReply, moderator: Principal) -> None:
    if post.status == PostStatus.PENDING_REVIEW:
        moderation.approve_post(session, post, moderator)


def _load_thread(
    session: Session, item: DemoThread, people: dict[str, Principal], moderator: Principal, *, approve: bool = True
) -> ForumThread:
    thread = threads.create_thread(
        session,
        ThreadCreate(
            title=item.title,
            body=item.body,
            category=item.category,
            tags=list(item.tags),
            language=item.language,
        ),
        people[item.author],
    )
    if approve:
        _publish(session, thread, moderator)
    for demo_reply in item.replies:
        reply = threads.add_reply(session, thread, ReplyCreate(body=demo_reply.body), people[demo_reply.author])
        _publish(session, reply, moderator)
        for email in demo_reply.upvoters:
            votes.cast_vote(session, reply, 1, people[email])
        for email in demo_reply.downvoters:
            votes.cast_vote(session, reply, -1, people[email])
        if demo_reply.accepted:
            votes.accept_reply(session, reply, people[item.author])
    return thread


def load_demo(session: Session, echo: Callable[[str], None]) -> None:
    """Idempotent: adds only what is missing."""
    for position, (slug, name, description) in enumerate(CATEGORIES):
        threads.ensure_category(session, slug, name, description, position)
    people = {
        email: principal_for_user(_person(session, email, name, role)) for email, name, role in [*PEOPLE, NEWCOMER]
    }
    moderator = people["agent@example.com"]
    created = 0
    for item in [*DEMO_THREADS, NEWCOMER_THREAD]:
        if session.scalar(select(ForumThread.id).where(ForumThread.title == item.title)) is not None:
            continue
        # The newcomer's question stays in the moderation queue, to show first-post review.
        thread = _load_thread(session, item, people, moderator, approve=item is not NEWCOMER_THREAD)
        created += 1
        echo(f"  forum thread #{thread.id} [{thread.language}] {thread.title}")
    if created:
        echo(f"  forum: {created} new threads (one waits in /forum/moderation)")
