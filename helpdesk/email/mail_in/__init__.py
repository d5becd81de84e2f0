"""Inbound e-mail: one parser, threading into tickets, the SMTP/LMTP receiver (see ``intake``)."""
