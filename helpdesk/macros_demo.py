"""Demo canned replies in the demo's languages (idempotent: matched by title)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.models import Macro

DEMO_MACROS: list[tuple[str, str | None, str]] = [
    (
        "Ask for more details",
        "en",
        "Hi {{customer.first_name}},\n\nThank you for contacting us about ticket #{{ticket.id}}. "
        "Could you tell us the model of your device and what you have tried so far?\n\n"
        "Best regards,\n{{agent.name}}",
    ),
    (
        "Restart the device",
        "en",
        "Hi {{customer.first_name}},\n\nPlease switch the device off, wait 30 seconds and switch it on again, "
        "then let us know whether the problem is still there.\n\nBest regards,\n{{agent.name}}",
    ),
    (
        "Prośba o szczegóły",
        "pl",
        "Dzień dobry {{customer.first_name}},\n\ndziękujemy za zgłoszenie nr {{ticket.id}}. "
        "Prosimy o podanie modelu urządzenia i opisu kroków, które już zostały wykonane.\n\n"
        "Pozdrawiamy,\n{{agent.name}}",
    ),
    (
        "Meminta detail",
        "id",
        "Halo {{customer.first_name}},\n\nTerima kasih telah menghubungi kami tentang tiket #{{ticket.id}}. "
        "Mohon beri tahu kami model perangkat Anda dan langkah yang sudah dicoba.\n\nSalam,\n{{agent.name}}",
    ),
    (
        "Humingi ng detalye",
        "tl",
        "Magandang araw po, {{customer.first_name}}!\n\nSalamat sa pakikipag-ugnayan tungkol sa ticket "
        "#{{ticket.id}}. Maaari po bang ibigay ang modelo ng inyong device at ang mga hakbang na nasubukan na?\n\n"
        "Lubos na gumagalang,\n{{agent.name}}",
    ),
    (
        "ขอข้อมูลเพิ่มเติม",
        "th",
        "สวัสดีครับคุณ{{customer.first_name}}\n\nขอบคุณที่ติดต่อเราเรื่องคำขอหมายเลข {{ticket.id}} "
        "รบกวนแจ้งรุ่นของอุปกรณ์และวิธีที่ได้ลองแก้ไขไปแล้วด้วยครับ\n\nขอแสดงความนับถือ\n{{agent.name}}",
    ),
]


def load_demo(session: Session, echo: Callable[[str], None] = print) -> None:
    existing = set(session.scalars(select(Macro.title)))
    added = 0
    for title, language, body in DEMO_MACROS:
        if title in existing:
            continue
        session.add(Macro(title=title, language=language, body=body))
        added += 1
    session.flush()
    if added:
        echo(f"  {added} canned replies")
