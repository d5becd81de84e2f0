"""Aftercare: the application shell (settings, database, errors, CLI, migrations).

The product's domains live beside this package: ``helpdesk`` (customers, accounts, tickets),
``kb`` (articles, forum), ``retrieval`` (language detection, embeddings, search), ``web``
(HTTP) and ``workers`` (queued and scheduled jobs, email).
"""

__version__ = "0.1.0"
