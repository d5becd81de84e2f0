"""An answer on intake: what offering articles costs a new ticket, and what the customer is offered.

    python bench/bench_intake.py               # the demo knowledge base, 21 tickets in 5 languages, 3 rounds
    python bench/bench_intake.py --rounds 5

What is measured, and how:

* Setup. A fresh SQLite database in a temporary directory with the schema from migrations and
  ``aftercare demo`` (53 article versions in en/pl/id/tl/th); the real e5 model; the search index
  opened (built) before timing, and one search to warm up.
* Latency. ``helpdesk.service.create_ticket`` plus the commit, as the contact form and the API run
  it (the confirmation is queued by the ``TicketCreated`` subscriber, ``kb.feedback.subscribers``,
  inside the commit call), once with a confirmation that offers nothing and once with
  ``kb.feedback.self_resolution``'s offer (one search at intake, the offer and the agents'
  suggestions stored, the confirmation e-mail rendered with the links). The two are interleaved per
  ticket so that a busy machine weighs on both alike. Median and 95th percentile over every ticket
  and round.
* Offer. For each ticket (short customer texts written for this bench, not the demo's own
  questions), whether the article that answers it is among the (up to 3) offered and first, and
  whether it is offered in the ticket's language when the demo has that translation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.demo_setup import demo_with_index  # noqa: E402

# (language, subject, body, slug of the article that answers it)
CASES: list[tuple[str, str, str, str]] = [
    (
        "pl",
        "Słuchawki się nie ładują",
        "Włożyłam słuchawki do etui i podłączyłam kabel, ale nic się nie ładuje.",
        "pulse-not-charging",
    ),
    (
        "pl",
        "Termostat bez Wi-Fi",
        "Po wymianie routera termostat nie łączy się z siecią Wi-Fi.",
        "nimbus-wifi-reconnect",
    ),
    (
        "pl",
        "Robot nie wraca do stacji",
        "Odkurzacz kończy sprzątanie na środku pokoju i nie wraca do stacji dokującej.",
        "aurora-not-returning-to-dock",
    ),
    (
        "pl",
        "Harmonogram ogrzewania",
        "Jak ustawić inną temperaturę na noc i na dzień w aplikacji?",
        "nimbus-heating-schedule",
    ),
    ("pl", "Słabe ssanie", "Odkurzacz ssie coraz słabiej i zostawia okruchy na dywanie.", "aurora-weak-suction"),
    ("th", "หูฟังชาร์จไม่เข้า", "ใส่หูฟังในเคสและเสียบสายแล้ว แต่แบตเตอรี่ไม่เพิ่มเลย", "pulse-not-charging"),
    ("th", "เทอร์โมสตัทต่อ Wi-Fi ไม่ได้", "เปลี่ยนเราเตอร์ใหม่แล้วเทอร์โมสตัทเชื่อมต่อ Wi-Fi ไม่ได้", "nimbus-wifi-reconnect"),
    ("th", "จับคู่หูฟังไม่ได้", "หูฟังไม่แสดงในรายการบลูทูธของโทรศัพท์", "pulse-bluetooth-pairing"),
    ("th", "หน้าจอดับ", "หน้าจอเทอร์โมสตัทดับไปทั้งหมด ไม่มีอะไรแสดง", "nimbus-display-blank"),
    (
        "id",
        "Robot vakum tidak mau menyala",
        "Robot vakum saya tidak mau menyala sama sekali walaupun sudah dicas semalaman.",
        "aurora-wont-turn-on",
    ),
    (
        "id",
        "Earbud kiri tidak ada suara",
        "Salah satu earbud tidak mengeluarkan suara, yang lain normal.",
        "pulse-one-side-silent",
    ),
    ("id", "Membersihkan sikat", "Bagaimana cara membersihkan sikat robot yang penuh rambut?", "aurora-clean-brushes"),
    ("id", "Klaim garansi", "Saya ingin klaim garansi dan mengembalikan produk yang rusak.", "warranty-and-returns"),
    ("tl", "I-reset ang thermostat", "Paano i-reset ang thermostat sa factory settings?", "nimbus-factory-reset"),
    (
        "tl",
        "Mabilis maubos ang baterya",
        "Mabilis maubos ang baterya ng earbuds ko, dalawang oras lang.",
        "pulse-battery-life",
    ),
    (
        "tl",
        "Hindi ma-pair",
        "Hindi ma-pair ang earbuds sa phone ko kahit naka-on ang Bluetooth.",
        "pulse-bluetooth-pairing",
    ),
    (
        "en",
        "Earbuds not charging",
        "I put the earbuds in the case and plugged in the cable, but they stay empty.",
        "pulse-not-charging",
    ),
    ("en", "Grinding noise", "The vacuum started making a grinding noise while cleaning.", "aurora-grinding-noise"),
    (
        "en",
        "Wrong temperature",
        "The thermostat shows 23 degrees but the room is much colder.",
        "nimbus-wrong-temperature",
    ),
    ("en", "Firmware", "How do I update the firmware of my devices?", "firmware-update"),
    ("en", "Password", "I forgot the password for the app and cannot sign in.", "app-password-reset"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="times each ticket is created with and without")
    args = parser.parse_args()

    from entry.jobs import register_jobs

    # As every process that queues e-mail does at start: the outbox's nudge names a registered job.
    register_jobs()
    demo = demo_with_index("aftercare-bench-intake-")
    database = demo.database
    from sqlalchemy import select

    from aftercare.config import get_settings
    from helpdesk import service
    from helpdesk.models import TicketChannel
    from helpdesk.schemas import TicketCreate
    from kb.feedback import self_resolution
    from kb.feedback import subscribers as confirmation
    from kb.models import Article, ArticleContent, ArticleStatus

    settings = get_settings()
    print(f"index built in {demo.index_seconds:.1f} s (not timed below)")

    with database.session() as session:
        translated = {
            (slug, locale)
            for slug, locale in session.execute(
                select(Article.slug, ArticleContent.locale)
                .join(ArticleContent, ArticleContent.article_id == Article.id)
                .where(ArticleContent.status == ArticleStatus.PUBLISHED)
            )
        }

    def _offer_nothing(_session, _ticket) -> list:
        return []

    def create(index: int, case: tuple[str, str, str, str], offered: bool, round_number: int) -> tuple[float, list]:
        language, subject, body, _ = case
        # The confirmation is queued after the commit (kb.feedback.subscribers), in the committing
        # request; "without" confirms with no articles, as when the search offers none.
        confirmation.intake_suggestions = self_resolution.intake_suggestions if offered else _offer_nothing
        email = f"bench-{round_number}-{index}-{int(offered)}@example.com"
        with database.session() as session:
            begin = time.perf_counter()
            ticket = service.create_ticket(
                session, TicketCreate(customer_email=email, subject=subject, body=body), channel=TicketChannel.WEB
            )
            session.commit()
            elapsed = (time.perf_counter() - begin) * 1000
            items = self_resolution.offered_articles(session, ticket) if offered else []
            return elapsed, [(item, ticket.language) for item in items]

    without: list[float] = []
    with_offer: list[float] = []
    first_round: list[tuple[tuple[str, str, str, str], list]] = []
    for round_number in range(args.rounds):
        for index, case in enumerate(CASES):
            elapsed, _ = create(index, case, False, round_number)
            without.append(elapsed)
            elapsed, items = create(index, case, True, round_number)
            with_offer.append(elapsed)
            if round_number == 0:
                first_round.append((case, items))
    confirmation.intake_suggestions = self_resolution.intake_suggestions

    print(f"\nticket intake (create + commit), {len(CASES)} tickets x {args.rounds} rounds")
    print(f"{'':24}{'median ms':>10}{'p95 ms':>10}")
    for label, values in (("without suggestions", without), ("with suggestions", with_offer)):
        print(f"{label:24}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}")
    print(f"{'added by the offer':24}{statistics.median(with_offer) - statistics.median(without):>10.1f}")

    print("\noffer quality per ticket language (the answering article among the offered / first / in own language)")
    print(f"{'language':10}{'tickets':>8}{'in top 3':>10}{'first':>8}{'own lang':>10}{'wrong lang':>12}")
    by_language: dict[str, list] = {}
    for case, items in first_round:
        by_language.setdefault(case[0], []).append((case, items))
    totals = [0, 0, 0, 0, 0]
    for language in sorted(by_language):
        rows = by_language[language]
        found = first = own = own_possible = wrong = 0
        for (_, _, _, slug), items in rows:
            slugs = [item.slug for item, _ in items]
            found += slug in slugs
            first += bool(slugs) and slugs[0] == slug
            if (slug, language) in translated:
                own_possible += 1
                own += any(item.slug == slug and item.locale == language for item, _ in items)
            # An offered version neither in the ticket's language nor the default one.
            wrong += sum(
                item.locale not in (ticket_language, settings.default_language) for item, ticket_language in items
            )
        totals = [totals[0] + len(rows), totals[1] + found, totals[2] + first, totals[3] + own, totals[4] + wrong]
        print(f"{language:10}{len(rows):>8}{found:>10}{first:>8}{f'{own}/{own_possible}':>10}{wrong:>12}")
    print(f"{'all':10}{totals[0]:>8}{totals[1]:>10}{totals[2]:>8}{totals[3]:>10}{totals[4]:>12}")
    database.dispose()


if __name__ == "__main__":
    main()
