"""The fixed words of our own e-mails and of the unsubscribe page, per supported language.

English is the source; a language without an entry falls back to English word by word, so a
missing translation shows English rather than a blank.
"""

from __future__ import annotations

from aftercare.config import get_settings

# Each language by its own name: said beside an article that is not in the reader's language.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "pl": "Polski", "id": "Bahasa Indonesia", "tl": "Tagalog", "th": "ไทย",
}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "received": "Thank you for writing to us. We have received your request and will answer as soon as we can.",
        "reference": "Your reference is #{ticket_id}.",
        "follow_online": "Follow your request online",
        "reply_hint": "You can also simply reply to this e-mail; please keep [#{ticket_id}] in the subject.",
        "suggestions_answer": "This article may answer your question:",
        "suggestions_might_help": "While you wait, these articles might help:",
        "suggestions_more": "These might also help:",
        "solved_link": "This solved it",
        "solved_hint": "If an article solves your problem, choose “This solved it” under it and we will close your request.",
        "signature": "The support team",
        "view_conversation": "View the whole conversation",
        "footer_marketing": "You receive this e-mail because you agreed to tips and news from us.",
        "footer_survey": "You receive this e-mail because you were our customer; we ask for feedback now and then.",
        "unsubscribe": "Unsubscribe",
        "page_title": "Unsubscribe",
        "confirm_marketing": "Stop sending tips and news to {address}?",
        "confirm_survey": "Stop sending surveys to {address}?",
        "confirm_button": "Yes, unsubscribe me",
        "replies_still": "Replies to your support requests will still reach you.",
        "done": "Done: {address} will not get these e-mails any more.",
        "invalid": "This unsubscribe link is not valid. Please use the link from the most recent e-mail.",
    },
    "pl": {
        "greeting": "Dzień dobry {name},",
        "greeting_anonymous": "Dzień dobry,",
        "received": "Dziękujemy za wiadomość. Otrzymaliśmy Twoje zgłoszenie i odpowiemy najszybciej, jak to możliwe.",
        "reference": "Numer Twojego zgłoszenia to #{ticket_id}.",
        "follow_online": "Śledź swoje zgłoszenie online",
        "reply_hint": "Możesz też po prostu odpowiedzieć na tę wiadomość; prosimy o pozostawienie [#{ticket_id}] w temacie.",
        "suggestions_answer": "Ten artykuł może odpowiadać na Twoje pytanie:",
        "suggestions_might_help": "Zanim odpowiemy, te artykuły mogą pomóc:",
        "suggestions_more": "Te też mogą pomóc:",
        "solved_link": "To rozwiązało problem",
        "solved_hint": "Jeśli artykuł rozwiąże Twój problem, wybierz pod nim „To rozwiązało problem”, a zamkniemy zgłoszenie.",
        "signature": "Zespół wsparcia",
        "view_conversation": "Zobacz całą rozmowę",
        "footer_marketing": "Otrzymujesz tę wiadomość, ponieważ zgodziłeś(-aś) się na porady i nowości od nas.",
        "footer_survey": "Otrzymujesz tę wiadomość, ponieważ jesteś naszym klientem; od czasu do czasu prosimy o opinię.",
        "unsubscribe": "Wypisz się",
        "page_title": "Wypisz się",
        "confirm_marketing": "Przestać wysyłać porady i nowości na adres {address}?",
        "confirm_survey": "Przestać wysyłać ankiety na adres {address}?",
        "confirm_button": "Tak, wypisz mnie",
        "replies_still": "Odpowiedzi na Twoje zgłoszenia nadal będą do Ciebie docierać.",
        "done": "Gotowe: adres {address} nie będzie już otrzymywać tych wiadomości.",
        "invalid": "Ten link do wypisania się jest nieprawidłowy. Użyj linku z najnowszej wiadomości.",
    },
    "id": {
        "greeting": "Halo {name},",
        "greeting_anonymous": "Halo,",
        "received": "Terima kasih telah menghubungi kami. Permintaan Anda sudah kami terima dan akan segera kami jawab.",
        "reference": "Nomor referensi Anda adalah #{ticket_id}.",
        "follow_online": "Pantau permintaan Anda secara online",
        "reply_hint": "Anda juga dapat membalas e-mail ini; mohon pertahankan [#{ticket_id}] di subjek.",
        "suggestions_answer": "Artikel ini mungkin menjawab pertanyaan Anda:",
        "suggestions_might_help": "Sambil menunggu, artikel berikut mungkin membantu:",
        "suggestions_more": "Artikel ini mungkin juga membantu:",
        "solved_link": "Ini menyelesaikan masalah saya",
        "solved_hint": "Jika sebuah artikel menyelesaikan masalah Anda, pilih “Ini menyelesaikan masalah saya” di bawahnya dan kami akan menutup permintaan Anda.",
        "signature": "Tim dukungan",
        "view_conversation": "Lihat seluruh percakapan",
        "footer_marketing": "Anda menerima e-mail ini karena menyetujui menerima tips dan berita dari kami.",
        "footer_survey": "Anda menerima e-mail ini karena Anda pelanggan kami; sesekali kami meminta masukan.",
        "unsubscribe": "Berhenti berlangganan",
        "page_title": "Berhenti berlangganan",
        "confirm_marketing": "Berhenti mengirim tips dan berita ke {address}?",
        "confirm_survey": "Berhenti mengirim survei ke {address}?",
        "confirm_button": "Ya, berhentikan langganan saya",
        "replies_still": "Balasan atas permintaan dukungan Anda tetap akan dikirim.",
        "done": "Selesai: {address} tidak akan menerima e-mail ini lagi.",
        "invalid": "Tautan berhenti berlangganan ini tidak valid. Gunakan tautan dari e-mail terbaru.",
    },
    "tl": {
        "greeting": "Kumusta {name},",
        "greeting_anonymous": "Kumusta,",
        "received": "Salamat sa pagsulat sa amin. Natanggap namin ang iyong kahilingan at sasagutin namin ito sa lalong madaling panahon.",
        "reference": "Ang iyong reference number ay #{ticket_id}.",
        "follow_online": "Subaybayan ang iyong kahilingan online",
        "reply_hint": "Maaari ka ring sumagot sa e-mail na ito; pakipanatili ang [#{ticket_id}] sa subject.",
        "suggestions_answer": "Maaaring masagot ng artikulong ito ang iyong tanong:",
        "suggestions_might_help": "Habang naghihintay, maaaring makatulong ang mga artikulong ito:",
        "suggestions_more": "Maaari ring makatulong ang mga ito:",
        "solved_link": "Nalutas nito ang problema ko",
        "solved_hint": "Kung malutas ng isang artikulo ang iyong problema, piliin ang “Nalutas nito ang problema ko” sa ilalim nito at isasara namin ang iyong kahilingan.",
        "signature": "Ang support team",
        "view_conversation": "Tingnan ang buong usapan",
        "footer_marketing": "Natatanggap mo ang e-mail na ito dahil pumayag kang makatanggap ng mga tip at balita mula sa amin.",
        "footer_survey": "Natatanggap mo ang e-mail na ito dahil customer ka namin; paminsan-minsan kaming humihingi ng puna.",
        "unsubscribe": "Mag-unsubscribe",
        "page_title": "Mag-unsubscribe",
        "confirm_marketing": "Itigil ang pagpapadala ng mga tip at balita sa {address}?",
        "confirm_survey": "Itigil ang pagpapadala ng mga survey sa {address}?",
        "confirm_button": "Oo, i-unsubscribe ako",
        "replies_still": "Matatanggap mo pa rin ang mga sagot sa iyong mga kahilingan sa suporta.",
        "done": "Tapos na: hindi na makakatanggap ang {address} ng mga e-mail na ito.",
        "invalid": "Hindi wasto ang link na ito. Pakigamit ang link mula sa pinakabagong e-mail.",
    },
    "th": {
        "greeting": "เรียน คุณ{name}",
        "greeting_anonymous": "สวัสดีค่ะ",
        "received": "ขอบคุณที่ติดต่อเรา เราได้รับคำขอของคุณแล้วและจะตอบกลับโดยเร็วที่สุด",
        "reference": "หมายเลขอ้างอิงของคุณคือ #{ticket_id}",
        "follow_online": "ติดตามคำขอของคุณทางออนไลน์",
        "reply_hint": "คุณสามารถตอบกลับอีเมลนี้ได้เลย โปรดคง [#{ticket_id}] ไว้ในหัวเรื่อง",
        "suggestions_answer": "บทความนี้อาจตอบคำถามของคุณได้:",
        "suggestions_might_help": "ระหว่างรอ บทความเหล่านี้อาจช่วยได้:",
        "suggestions_more": "บทความเหล่านี้อาจช่วยได้เช่นกัน:",
        "solved_link": "บทความนี้แก้ปัญหาได้แล้ว",
        "solved_hint": "หากบทความใดแก้ปัญหาของคุณได้ ให้เลือก “บทความนี้แก้ปัญหาได้แล้ว” ใต้บทความนั้น แล้วเราจะปิดคำขอของคุณ",
        "signature": "ทีมสนับสนุน",
        "view_conversation": "ดูบทสนทนาทั้งหมด",
        "footer_marketing": "คุณได้รับอีเมลนี้เพราะคุณตกลงรับเคล็ดลับและข่าวสารจากเรา",
        "footer_survey": "คุณได้รับอีเมลนี้เพราะคุณเป็นลูกค้าของเรา เราขอความคิดเห็นเป็นครั้งคราว",
        "unsubscribe": "ยกเลิกการรับอีเมล",
        "page_title": "ยกเลิกการรับอีเมล",
        "confirm_marketing": "หยุดส่งเคล็ดลับและข่าวสารไปยัง {address} หรือไม่?",
        "confirm_survey": "หยุดส่งแบบสำรวจไปยัง {address} หรือไม่?",
        "confirm_button": "ใช่ ยกเลิกการรับอีเมล",
        "replies_still": "คุณจะยังได้รับคำตอบสำหรับคำขอความช่วยเหลือของคุณ",
        "done": "เรียบร้อย: {address} จะไม่ได้รับอีเมลเหล่านี้อีก",
        "invalid": "ลิงก์ยกเลิกนี้ไม่ถูกต้อง โปรดใช้ลิงก์จากอีเมลฉบับล่าสุด",
    },
}


def email_language(language: str | None) -> str:
    """``language`` if we write e-mail in it, else the site default, else English."""
    if language in STRINGS:
        return language  # type: ignore[return-value]
    default = get_settings().default_language
    return default if default in STRINGS else "en"


def words(language: str | None) -> dict[str, str]:
    chosen = email_language(language)
    return {**STRINGS["en"], **STRINGS[chosen]}
