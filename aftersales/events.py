"""After-sales events (``aftercare.events``).

``PurchaseRecorded`` is recorded when ``aftersales.purchases.record_purchase`` stores a new order
line (not for a replayed one). Nothing subscribes yet; programmes enrol buyers in their own pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aftercare.events import Event


@dataclass(frozen=True)
class PurchaseRecorded(Event):
    name: ClassVar[str] = "purchase_recorded"

    purchase_id: int
    customer_id: int
    product_id: int
