"""The help desk's e-mail channel: the outbox and its delivery, suppression and unsubscribe, the
help desk's own notifications, and inbound mail (``mail_in``); README.md is its map."""
