"""Response shapes of the privacy API (named by role): an erasure's summary and the retention state.

An export has no schema of its own here: it is the document ``privacy.export.export_customer`` builds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ErasureSummaryRead(BaseModel):
    """What an erasure replaced or removed, by count: the person's data is not repeated."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    tickets: int = Field(description="tickets kept, with the customer's name, address and text replaced")
    messages: int = Field(description="messages whose text was replaced")
    forum_posts: int = Field(description="forum threads and replies now shown as by a deleted user")
    attachments: int = Field(description="attachments deleted")
    emails_cancelled: int = Field(description="outgoing e-mails to the customer that will not be sent")
    already_erased: bool = Field(description="true when the customer had been erased before (nothing changed)")


class RetentionRead(BaseModel):
    enabled: bool = Field(description="whether AFTERCARE_RETENTION_DAYS_CLOSED_TICKETS is set")
    days: int | None = Field(description="the retention period in days; null when off")
    due: int = Field(description="customers the daily job would erase now (0 when off)")
