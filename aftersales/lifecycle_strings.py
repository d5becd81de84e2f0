"""The words of lifecycle e-mails, the win-back survey page and review invitations, per language.

Placeholders (``{name}``, ``{product}``, ``{order}``, ``{date}``, ``{days}``) are filled with
``str.format`` before the templates autoescape the result, so a customer's name can't inject markup.
The review invitation asks every promoter the same way: no wording that invites only happy customers.
"""

from __future__ import annotations

from aftercare.config import get_settings
from retrieval.language import normalize_language_tag

LIFECYCLE_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "welcome_subject": "Welcome, {name}!",
        "welcome_body": "Thank you for your first order with us. If you need help with your {product}, "
        "our help centre and support team are here for you.",
        "help_centre": "Help centre",
        "confirmation_subject": "Order {order} confirmed",
        "confirmation_body": "We have received your order {order} for {product} on {date}.",
        "confirmation_amount": "Amount: {amount}",
        "payment_subject": "Payment reminder for order {order}",
        "payment_before": "Your payment for order {order} ({product}) is due on {date}.",
        "payment_today": "Your payment for order {order} ({product}) is due today, {date}.",
        "payment_ignore": "If you have already paid, please ignore this message.",
        "service_subject": "Time for your {product} service soon",
        "service_body": "Your {product} is due for its service or renewal on {date}.",
        "winback_subject": "We miss you, {name}",
        "winback_body": "It has been a while since your last order. Could you tell us why you stopped? "
        "It takes one click.",
        "winback_link": "Tell us why",
        "winback_title": "Why did you stop ordering?",
        "winback_comment": "Anything else you would like to tell us? (optional)",
        "winback_submit": "Send my answer",
        "winback_saved": "Thank you! Your answer has been saved.",
        "winback_choose": "Please choose a reason.",
        "reason_no_longer_needed": "I no longer need it",
        "reason_too_expensive": "It is too expensive",
        "reason_found_alternative": "I found an alternative",
        "reason_quality": "Problems with the product",
        "reason_service": "Problems with the service",
        "reason_other": "Another reason",
        "review_subject": "Would you review {product}?",
        "review_body": "Thank you for answering our survey. Would you share your experience with {product} "
        "in a review? Honest reviews help other customers choose.",
        "review_link": "Write a review",
    },
    "pl": {
        "welcome_subject": "Witamy, {name}!",
        "welcome_body": "Dziękujemy za pierwsze zamówienie. Jeśli potrzebujesz pomocy z produktem {product}, "
        "nasze centrum pomocy i zespół wsparcia są do Twojej dyspozycji.",
        "help_centre": "Centrum pomocy",
        "confirmation_subject": "Zamówienie {order} potwierdzone",
        "confirmation_body": "Otrzymaliśmy Twoje zamówienie {order} na {product} z dnia {date}.",
        "confirmation_amount": "Kwota: {amount}",
        "payment_subject": "Przypomnienie o płatności za zamówienie {order}",
        "payment_before": "Termin płatności za zamówienie {order} ({product}) mija {date}.",
        "payment_today": "Termin płatności za zamówienie {order} ({product}) mija dzisiaj, {date}.",
        "payment_ignore": "Jeśli już zapłaciłeś(-aś), zignoruj tę wiadomość.",
        "service_subject": "Wkrótce czas na serwis: {product}",
        "service_body": "Termin serwisu lub odnowienia produktu {product} przypada {date}.",
        "winback_subject": "Brakuje nam Ciebie, {name}",
        "winback_body": "Od Twojego ostatniego zamówienia minęło sporo czasu. Powiesz nam, dlaczego? "
        "To jedno kliknięcie.",
        "winback_link": "Powiedz nam dlaczego",
        "winback_title": "Dlaczego przestałeś(-aś) zamawiać?",
        "winback_comment": "Czy chcesz nam coś jeszcze przekazać? (opcjonalnie)",
        "winback_submit": "Wyślij odpowiedź",
        "winback_saved": "Dziękujemy! Twoja odpowiedź została zapisana.",
        "winback_choose": "Wybierz powód.",
        "reason_no_longer_needed": "Już tego nie potrzebuję",
        "reason_too_expensive": "Jest za drogo",
        "reason_found_alternative": "Znalazłem(-am) coś innego",
        "reason_quality": "Problemy z produktem",
        "reason_service": "Problemy z obsługą",
        "reason_other": "Inny powód",
        "review_subject": "Czy ocenisz {product}?",
        "review_body": "Dziękujemy za udział w ankiecie. Czy podzielisz się opinią o produkcie {product}? "
        "Szczere opinie pomagają innym klientom w wyborze.",
        "review_link": "Napisz opinię",
    },
    "id": {
        "welcome_subject": "Selamat datang, {name}!",
        "welcome_body": "Terima kasih atas pesanan pertama Anda. Jika Anda butuh bantuan dengan {product}, "
        "pusat bantuan dan tim dukungan kami siap membantu.",
        "help_centre": "Pusat bantuan",
        "confirmation_subject": "Pesanan {order} dikonfirmasi",
        "confirmation_body": "Kami telah menerima pesanan {order} untuk {product} pada {date}.",
        "confirmation_amount": "Jumlah: {amount}",
        "payment_subject": "Pengingat pembayaran pesanan {order}",
        "payment_before": "Pembayaran pesanan {order} ({product}) jatuh tempo pada {date}.",
        "payment_today": "Pembayaran pesanan {order} ({product}) jatuh tempo hari ini, {date}.",
        "payment_ignore": "Jika Anda sudah membayar, abaikan pesan ini.",
        "service_subject": "Sebentar lagi waktunya servis {product}",
        "service_body": "{product} Anda perlu diservis atau diperpanjang pada {date}.",
        "winback_subject": "Kami merindukan Anda, {name}",
        "winback_body": "Sudah lama sejak pesanan terakhir Anda. Bisakah Anda memberi tahu kami alasannya? "
        "Hanya satu klik.",
        "winback_link": "Beri tahu kami",
        "winback_title": "Mengapa Anda berhenti memesan?",
        "winback_comment": "Ada hal lain yang ingin Anda sampaikan? (opsional)",
        "winback_submit": "Kirim jawaban saya",
        "winback_saved": "Terima kasih! Jawaban Anda telah disimpan.",
        "winback_choose": "Silakan pilih alasan.",
        "reason_no_longer_needed": "Saya tidak membutuhkannya lagi",
        "reason_too_expensive": "Terlalu mahal",
        "reason_found_alternative": "Saya menemukan alternatif",
        "reason_quality": "Masalah dengan produk",
        "reason_service": "Masalah dengan layanan",
        "reason_other": "Alasan lain",
        "review_subject": "Maukah Anda mengulas {product}?",
        "review_body": "Terima kasih telah mengisi survei kami. Maukah Anda berbagi pengalaman dengan {product} "
        "dalam sebuah ulasan? Ulasan yang jujur membantu pelanggan lain memilih.",
        "review_link": "Tulis ulasan",
    },
    "tl": {
        "welcome_subject": "Maligayang pagdating, {name}!",
        "welcome_body": "Salamat sa iyong unang order. Kung kailangan mo ng tulong sa iyong {product}, "
        "nandito ang aming help center at support team.",
        "help_centre": "Help center",
        "confirmation_subject": "Kumpirmado ang order {order}",
        "confirmation_body": "Natanggap namin ang iyong order {order} para sa {product} noong {date}.",
        "confirmation_amount": "Halaga: {amount}",
        "payment_subject": "Paalala sa bayad para sa order {order}",
        "payment_before": "Ang bayad para sa order {order} ({product}) ay dapat bayaran sa {date}.",
        "payment_today": "Ang bayad para sa order {order} ({product}) ay dapat bayaran ngayon, {date}.",
        "payment_ignore": "Kung nakabayad ka na, huwag pansinin ang mensaheng ito.",
        "service_subject": "Malapit na ang serbisyo ng iyong {product}",
        "service_body": "Ang iyong {product} ay kailangang i-serbisyo o i-renew sa {date}.",
        "winback_subject": "Nami-miss ka namin, {name}",
        "winback_body": "Matagal na mula sa huli mong order. Maaari mo bang sabihin kung bakit ka tumigil? "
        "Isang click lang.",
        "winback_link": "Sabihin sa amin",
        "winback_title": "Bakit ka tumigil sa pag-order?",
        "winback_comment": "May iba ka pa bang gustong sabihin? (opsyonal)",
        "winback_submit": "Ipadala ang aking sagot",
        "winback_saved": "Salamat! Nai-save na ang iyong sagot.",
        "winback_choose": "Pumili ng dahilan.",
        "reason_no_longer_needed": "Hindi ko na ito kailangan",
        "reason_too_expensive": "Masyadong mahal",
        "reason_found_alternative": "May nakita akong iba",
        "reason_quality": "Problema sa produkto",
        "reason_service": "Problema sa serbisyo",
        "reason_other": "Ibang dahilan",
        "review_subject": "Maaari mo bang i-review ang {product}?",
        "review_body": "Salamat sa pagsagot sa aming survey. Maaari mo bang ibahagi ang iyong karanasan sa "
        "{product} sa isang review? Nakakatulong ang tapat na review sa ibang customer.",
        "review_link": "Sumulat ng review",
    },
    "th": {
        "welcome_subject": "ยินดีต้อนรับคุณ{name}!",
        "welcome_body": "ขอบคุณสำหรับคำสั่งซื้อแรกของคุณ หากต้องการความช่วยเหลือเกี่ยวกับ {product} "
        "ศูนย์ช่วยเหลือและทีมสนับสนุนของเราพร้อมช่วยเสมอ",
        "help_centre": "ศูนย์ช่วยเหลือ",
        "confirmation_subject": "ยืนยันคำสั่งซื้อ {order} แล้ว",
        "confirmation_body": "เราได้รับคำสั่งซื้อ {order} สำหรับ {product} เมื่อวันที่ {date} แล้ว",
        "confirmation_amount": "ยอดเงิน: {amount}",
        "payment_subject": "แจ้งเตือนการชำระเงินคำสั่งซื้อ {order}",
        "payment_before": "กำหนดชำระเงินคำสั่งซื้อ {order} ({product}) คือวันที่ {date}",
        "payment_today": "กำหนดชำระเงินคำสั่งซื้อ {order} ({product}) คือวันนี้ {date}",
        "payment_ignore": "หากคุณชำระเงินแล้ว โปรดข้ามข้อความนี้",
        "service_subject": "ใกล้ถึงเวลาบำรุงรักษา {product} แล้ว",
        "service_body": "{product} ของคุณถึงกำหนดบำรุงรักษาหรือต่ออายุในวันที่ {date}",
        "winback_subject": "เราคิดถึงคุณ{name}",
        "winback_body": "ผ่านมาสักพักแล้วตั้งแต่คำสั่งซื้อล่าสุดของคุณ ช่วยบอกเราได้ไหมว่าทำไมคุณหยุดสั่งซื้อ ใช้เพียงคลิกเดียว",
        "winback_link": "บอกเหตุผล",
        "winback_title": "ทำไมคุณหยุดสั่งซื้อ",
        "winback_comment": "มีอะไรอยากบอกเราเพิ่มเติมไหม (ไม่บังคับ)",
        "winback_submit": "ส่งคำตอบ",
        "winback_saved": "ขอบคุณ! บันทึกคำตอบของคุณแล้ว",
        "winback_choose": "โปรดเลือกเหตุผล",
        "reason_no_longer_needed": "ไม่ต้องการใช้แล้ว",
        "reason_too_expensive": "ราคาแพงเกินไป",
        "reason_found_alternative": "พบตัวเลือกอื่น",
        "reason_quality": "มีปัญหากับสินค้า",
        "reason_service": "มีปัญหากับบริการ",
        "reason_other": "เหตุผลอื่น",
        "review_subject": "ช่วยรีวิว {product} ได้ไหม",
        "review_body": "ขอบคุณที่ตอบแบบสำรวจของเรา ช่วยแบ่งปันประสบการณ์การใช้ {product} ในรีวิวได้ไหม "
        "รีวิวที่ตรงไปตรงมาช่วยให้ลูกค้าคนอื่นตัดสินใจได้",
        "review_link": "เขียนรีวิว",
    },
}


def lifecycle_strings_for(language: str | None) -> tuple[str, dict[str, str]]:
    """(language used, its words): the customer's language when we have it, else the site default."""
    for candidate in (normalize_language_tag(language) if language else None, get_settings().default_language):
        if candidate in LIFECYCLE_STRINGS:
            return candidate, LIFECYCLE_STRINGS[candidate]
    return "en", LIFECYCLE_STRINGS["en"]
