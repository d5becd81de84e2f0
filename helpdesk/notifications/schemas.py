"""Request and response shapes of agents' notifications and their preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from helpdesk.notifications.models import NotificationKind
from helpdesk.schemas import StrictInput

MAX_IDS = 500


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: NotificationKind
    ticket_id: int
    ticket_subject: str
    message_id: int | None
    actor_user_id: int | None
    actor_name: str | None
    created_at: datetime
    read_at: datetime | None
    url: str = Field(description="the agent page of the ticket (at the message, if any)")


class NotificationList(BaseModel):
    items: list[NotificationRead]
    unread_count: int


class NotificationsRead(StrictInput):
    """Mark the caller's notifications read: the given ``ids``, or ``all``."""

    ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    all: bool = False

    @model_validator(mode="after")
    def _one_or_the_other(self) -> NotificationsRead:
        if not self.ids and not self.all:
            raise ValueError("give the notification ids, or all: true")
        return self


class MarkedRead(BaseModel):
    marked: int
    unread_count: int


class NotificationPreferenceRead(BaseModel):
    kind: NotificationKind
    in_app: bool
    email: bool
    languages: list[str] = Field(description="new tickets only: the languages followed; empty is every language")


class NotificationPreferenceUpdate(StrictInput):
    kind: NotificationKind
    in_app: bool
    email: bool
    languages: list[str] = Field(default_factory=list, max_length=50)


class NotificationPreferencesUpdate(StrictInput):
    preferences: list[NotificationPreferenceUpdate] = Field(min_length=1, max_length=len(NotificationKind))
