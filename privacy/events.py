"""Privacy's events (``aftercare.events``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aftercare.events import Event


@dataclass(frozen=True)
class CustomerErased(Event):
    """A customer was erased (``privacy.erasure.erase_customer``).

    ``attachment_ids``: their attachments whose files are still on disk. Files are not part of the
    transaction, so they are deleted after the commit (an erasure that rolled back keeps them).
    """

    name: ClassVar[str] = "customer_erased"

    customer_id: int
    attachment_ids: tuple[int, ...] = ()
