"""The words of claim e-mails in each supported language (the frame's greeting and signature come
from ``aftersales.email_strings``), and the e-mail built from them.

Kept short and plain: a customer reads one line about what changed, the RMA number, the product,
and a link to the claim's page.
"""

from __future__ import annotations

from datetime import date

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date

from aftersales.email_strings import strings_for

CLAIM_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "kind_warranty": "warranty",
        "kind_return": "return",
        "kind_repair": "repair",
        "subject_requested": "We received your claim {rma}",
        "line_requested": "We have received your {kind} claim for {product}. We will look at it and let you know.",
        "subject_approved": "Your claim {rma} is approved",
        "line_approved": "Your claim is approved. Please send the item to us with the RMA number {rma} on the parcel.",
        "subject_rejected": "Your claim {rma} was not approved",
        "line_rejected": "We could not approve your claim. Reply to this e-mail if you have questions.",
        "subject_item_received": "We received your item ({rma})",
        "line_item_received": "We have received your item and will now deal with it.",
        "subject_repaired": "Your item is repaired ({rma})",
        "line_repaired": "Your item has been repaired and is on its way back to you.",
        "subject_replaced": "Your item is being replaced ({rma})",
        "line_replaced": "We are sending you a replacement.",
        "subject_refunded": "Your refund is on its way ({rma})",
        "line_refunded": "We have refunded your purchase.",
        "subject_closed": "Your claim {rma} is closed",
        "line_closed": "Your claim is now closed. Thank you for your patience.",
        "in_window_warranty": "Within warranty until {date}.",
        "in_window_return": "Within the return window until {date}.",
        "out_of_window_warranty": "The warranty ended on {date}; we will still look at it.",
        "out_of_window_return": "The return window ended on {date}; we will still look at it.",
        "rma_line": "RMA number: {rma}",
        "product_line": "Product: {product}",
        "view": "See your claim",
    },
    "pl": {
        "kind_warranty": "reklamacja gwarancyjna",
        "kind_return": "zwrot",
        "kind_repair": "naprawa",
        "subject_requested": "Otrzymaliśmy Twoje zgłoszenie {rma}",
        "line_requested": "Otrzymaliśmy Twoje zgłoszenie ({kind}) dotyczące produktu {product}. "
        "Sprawdzimy je i damy Ci znać.",
        "subject_approved": "Twoje zgłoszenie {rma} zostało przyjęte",
        "line_approved": "Twoje zgłoszenie zostało przyjęte. Wyślij do nas produkt i umieść numer RMA {rma} na paczce.",
        "subject_rejected": "Twoje zgłoszenie {rma} nie zostało przyjęte",
        "line_rejected": "Nie możemy przyjąć Twojego zgłoszenia. Jeśli masz pytania, odpowiedz na tę wiadomość.",
        "subject_item_received": "Otrzymaliśmy Twój produkt ({rma})",
        "line_item_received": "Otrzymaliśmy Twój produkt i zajmiemy się nim.",
        "subject_repaired": "Produkt został naprawiony ({rma})",
        "line_repaired": "Twój produkt został naprawiony i wraca do Ciebie.",
        "subject_replaced": "Produkt zostanie wymieniony ({rma})",
        "line_replaced": "Wysyłamy Ci nowy produkt w zamian.",
        "subject_refunded": "Zwrot pieniędzy jest w drodze ({rma})",
        "line_refunded": "Zwróciliśmy pieniądze za Twój zakup.",
        "subject_closed": "Zgłoszenie {rma} zostało zamknięte",
        "line_closed": "Twoje zgłoszenie jest zamknięte. Dziękujemy za cierpliwość.",
        "in_window_warranty": "Gwarancja obowiązuje do {date}.",
        "in_window_return": "Zwrot jest możliwy do {date}.",
        "out_of_window_warranty": "Gwarancja skończyła się {date}; mimo to przyjrzymy się sprawie.",
        "out_of_window_return": "Termin zwrotu minął {date}; mimo to przyjrzymy się sprawie.",
        "rma_line": "Numer RMA: {rma}",
        "product_line": "Produkt: {product}",
        "view": "Zobacz swoje zgłoszenie",
    },
    "id": {
        "kind_warranty": "garansi",
        "kind_return": "pengembalian",
        "kind_repair": "perbaikan",
        "subject_requested": "Klaim {rma} Anda sudah kami terima",
        "line_requested": "Kami telah menerima klaim {kind} Anda untuk {product}. "
        "Kami akan memeriksanya dan mengabari Anda.",
        "subject_approved": "Klaim {rma} Anda disetujui",
        "line_approved": "Klaim Anda disetujui. Silakan kirim barang ke kami dengan nomor RMA {rma} pada paket.",
        "subject_rejected": "Klaim {rma} Anda tidak disetujui",
        "line_rejected": "Kami tidak dapat menyetujui klaim Anda. Balas email ini jika ada pertanyaan.",
        "subject_item_received": "Barang Anda sudah kami terima ({rma})",
        "line_item_received": "Kami telah menerima barang Anda dan akan segera menanganinya.",
        "subject_repaired": "Barang Anda sudah diperbaiki ({rma})",
        "line_repaired": "Barang Anda sudah diperbaiki dan sedang dikirim kembali kepada Anda.",
        "subject_replaced": "Barang Anda akan diganti ({rma})",
        "line_replaced": "Kami mengirimkan barang pengganti kepada Anda.",
        "subject_refunded": "Dana Anda dikembalikan ({rma})",
        "line_refunded": "Kami telah mengembalikan dana pembelian Anda.",
        "subject_closed": "Klaim {rma} Anda ditutup",
        "line_closed": "Klaim Anda kini ditutup. Terima kasih atas kesabaran Anda.",
        "in_window_warranty": "Masih dalam garansi hingga {date}.",
        "in_window_return": "Masih dapat dikembalikan hingga {date}.",
        "out_of_window_warranty": "Garansi berakhir pada {date}; kami tetap akan memeriksanya.",
        "out_of_window_return": "Batas waktu pengembalian berakhir pada {date}; kami tetap akan memeriksanya.",
        "rma_line": "Nomor RMA: {rma}",
        "product_line": "Produk: {product}",
        "view": "Lihat klaim Anda",
    },
    "tl": {
        "kind_warranty": "warranty",
        "kind_return": "pagbabalik",
        "kind_repair": "pagpapaayos",
        "subject_requested": "Natanggap namin ang iyong claim {rma}",
        "line_requested": "Natanggap namin ang iyong claim ({kind}) para sa {product}. "
        "Susuriin namin ito at ipapaalam sa iyo.",
        "subject_approved": "Aprubado ang iyong claim {rma}",
        "line_approved": "Aprubado ang iyong claim. Ipadala sa amin ang item at isulat ang RMA number na {rma} "
        "sa pakete.",
        "subject_rejected": "Hindi naaprubahan ang iyong claim {rma}",
        "line_rejected": "Hindi namin maaprubahan ang iyong claim. Sumagot sa email na ito kung may tanong ka.",
        "subject_item_received": "Natanggap namin ang iyong item ({rma})",
        "line_item_received": "Natanggap namin ang iyong item at aasikasuhin na namin ito.",
        "subject_repaired": "Naayos na ang iyong item ({rma})",
        "line_repaired": "Naayos na ang iyong item at ibinabalik na sa iyo.",
        "subject_replaced": "Papalitan ang iyong item ({rma})",
        "line_replaced": "Magpapadala kami sa iyo ng kapalit.",
        "subject_refunded": "Ibinalik na ang iyong bayad ({rma})",
        "line_refunded": "Ibinalik na namin ang ibinayad mo sa iyong binili.",
        "subject_closed": "Sarado na ang iyong claim {rma}",
        "line_closed": "Sarado na ang iyong claim. Salamat sa iyong pasensya.",
        "in_window_warranty": "May warranty pa hanggang {date}.",
        "in_window_return": "Puwede pang ibalik hanggang {date}.",
        "out_of_window_warranty": "Natapos ang warranty noong {date}; titingnan pa rin namin ito.",
        "out_of_window_return": "Natapos ang panahon ng pagbabalik noong {date}; titingnan pa rin namin ito.",
        "rma_line": "RMA number: {rma}",
        "product_line": "Produkto: {product}",
        "view": "Tingnan ang iyong claim",
    },
    "th": {
        "kind_warranty": "การรับประกัน",
        "kind_return": "การคืนสินค้า",
        "kind_repair": "การซ่อม",
        "subject_requested": "เราได้รับคำขอ {rma} ของคุณแล้ว",
        "line_requested": "เราได้รับคำขอ{kind}สำหรับ {product} ของคุณแล้ว เราจะตรวจสอบและแจ้งให้คุณทราบ",
        "subject_approved": "คำขอ {rma} ของคุณได้รับการอนุมัติ",
        "line_approved": "คำขอของคุณได้รับการอนุมัติแล้ว กรุณาส่งสินค้ามาให้เราและระบุหมายเลข RMA {rma} บนพัสดุ",
        "subject_rejected": "คำขอ {rma} ของคุณไม่ได้รับการอนุมัติ",
        "line_rejected": "เราไม่สามารถอนุมัติคำขอของคุณได้ หากมีคำถาม โปรดตอบกลับอีเมลนี้",
        "subject_item_received": "เราได้รับสินค้าของคุณแล้ว ({rma})",
        "line_item_received": "เราได้รับสินค้าของคุณแล้วและจะดำเนินการต่อ",
        "subject_repaired": "ซ่อมสินค้าของคุณเรียบร้อยแล้ว ({rma})",
        "line_repaired": "สินค้าของคุณซ่อมเสร็จแล้วและกำลังส่งคืนให้คุณ",
        "subject_replaced": "เราจะเปลี่ยนสินค้าให้คุณ ({rma})",
        "line_replaced": "เรากำลังส่งสินค้าทดแทนให้คุณ",
        "subject_refunded": "เราคืนเงินให้คุณแล้ว ({rma})",
        "line_refunded": "เราได้คืนเงินค่าสินค้าให้คุณแล้ว",
        "subject_closed": "คำขอ {rma} ของคุณปิดแล้ว",
        "line_closed": "คำขอของคุณปิดเรียบร้อยแล้ว ขอบคุณที่รอ",
        "in_window_warranty": "อยู่ในระยะรับประกันถึงวันที่ {date}",
        "in_window_return": "คืนสินค้าได้ถึงวันที่ {date}",
        "out_of_window_warranty": "การรับประกันสิ้นสุดเมื่อวันที่ {date} แต่เราจะยังตรวจสอบให้",
        "out_of_window_return": "ระยะเวลาคืนสินค้าสิ้นสุดเมื่อวันที่ {date} แต่เราจะยังตรวจสอบให้",
        "rma_line": "หมายเลข RMA: {rma}",
        "product_line": "สินค้า: {product}",
        "view": "ดูคำขอของคุณ",
    },
}


def claim_strings_for(language: str | None) -> tuple[str, dict[str, str]]:
    """(language used, the frame's words merged with the claim words) for a customer's language."""
    used, frame = strings_for(language)
    words = CLAIM_STRINGS.get(used, CLAIM_STRINGS["en"])
    return used, {**frame, **words}


# Babel's names where they differ from ours (as the web interface maps them).
_BABEL_LOCALES = {"tl": "fil"}


def long_date(day: date, language: str) -> str:
    """``March 12, 2027`` in ``language`` ("12 marca 2027" in Polish)."""
    try:
        locale = Locale.parse(_BABEL_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_date(day, format="long", locale=locale)


def window_line(words: dict[str, str], *, window: str, eligible: bool, ends_on: date, language: str) -> str:
    """The eligibility sentence; ``window`` is ``warranty`` or ``return``."""
    key = f"{'in_window' if eligible else 'out_of_window'}_{window}"
    return words[key].format(date=long_date(ends_on, language))
