"""Queued and scheduled jobs, the outbox and email."""
