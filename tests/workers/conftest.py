"""The queue's tests send mail too: the SMTP sink and the in-memory queue of the e-mail tests."""

from tests.helpdesk.email.conftest import fresh_rate_limits, memory_queue, smtp_sink  # noqa: F401
