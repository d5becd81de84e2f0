"""Identity: customers, users and roles, API tokens, login sessions, and the principal acting.

The lowest domain layer: the help desk, knowledge base and after-sales all import it; it imports
only ``aftercare`` (settings, database, errors).
"""
