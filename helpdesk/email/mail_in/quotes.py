"""Trimming the quoted history from a reply, so that a ticket shows what the customer wrote now.

Cut at the first reply header ("On ... wrote:", Polish "W dniu ... napisał(a):", Indonesian
"Pada ... menulis:", Tagalog "Noong ... ay sumulat:", Thai "เมื่อ ... เขียนว่า:", German,
French, Spanish) or client separator ("-----Original Message-----", Outlook's "From: / Sent:"
block), then drop the trailing "> " lines. Quotes interleaved with answers are kept: removing
them would leave the answers without their questions. If nothing is left (a reply that only
quotes), the whole text is kept: a trimmed-away message is worse than a long one.
"""

from __future__ import annotations

import re

# Reply headers, matched against a line joined with the next two (clients wrap long ones).
_REPLY_HEADER = re.compile(
    r"^(?:"
    r"On\s.{1,300}\swrote:"
    r"|W dniu\s.{1,300}\s(?:napisał|napisała|napisał\(a\)|pisze):"
    r"|Dnia\s.{1,300}\s(?:napisał|napisała|napisał\(a\)):"
    r"|Pada\s.{1,300}\smenulis:"
    r"|Noong\s.{1,300}\s(?:ay sumulat|sumulat)(?:\s.{0,100})?:"
    r"|เมื่อ\s?.{1,300}\s?(?:เขียนว่า|ได้เขียนไว้ว่า|เขียน):?"
    r"|Am\s.{1,300}\sschrieb\s?.{0,100}:"
    r"|Le\s.{1,300}\sa écrit\s?:"
    r"|El\s.{1,300}\sescribió:"
    r")\s*$",
    re.IGNORECASE,
)
_HEADER_OPENERS = re.compile(r"^(?:On|W dniu|Dnia|Pada|Noong|เมื่อ|Am|Le|El)\b", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:Original Message|Oryginalna wiadomość|Wiadomość oryginalna|Pesan Asli|Orihinal na Mensahe"
    r"|ข้อความต้นฉบับ|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}"
    r"|-{4,}\s*Reply message\s*-{4,}"
    r")\s*$",
    re.IGNORECASE,
)
# Outlook: "From: ..." then, within a few lines, "Sent:"/"Date:" (in several languages).
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Od|Dari|Mula kay|จาก|Von|De)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Wysłano|Data|Dikirim|Tanggal|Ipinadala|ส่ง|Gesendet|Envoyé|Enviado)\s*:", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^_{10,}\s*$")


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    return any(_OUTLOOK_SENT.match(line) for line in lines[index + 1 : index + 5])


def _reply_starts_at(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _SEPARATOR.match(stripped) or _is_outlook_block(lines, index):
            return index
        if _UNDERSCORES.match(stripped) and index + 1 < len(lines) and _OUTLOOK_FROM.match(lines[index + 1]):
            return index
        if _HEADER_OPENERS.match(stripped):
            joined = stripped
            for extra in range(0, 3):
                if extra:
                    if index + extra >= len(lines):
                        break
                    joined = f"{joined} {lines[index + extra].strip()}"
                if _REPLY_HEADER.match(joined):
                    return index
    return None


def trim_quoted(text: str) -> str:
    """The new part of a reply; the whole text when trimming would leave nothing."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _reply_starts_at(lines)
    kept = lines[:cut] if cut is not None else lines
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result if result else text.strip()
