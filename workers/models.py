"""Worker-side tables: the e-mail outbox, inbound mail (filled in by the workers work)."""
