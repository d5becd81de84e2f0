"""Attachments on tickets, whatever brought them (inbound mail, the portal, the agent's page, the API).

- ``content_types``: which types are accepted, judged from the bytes (magic numbers), and safe names.
- ``storage``: where the files live (a ``Storage`` protocol; ``LocalDiskStorage`` under the data dir).
- ``service``: uploads checked against the limits, stored with a message, removed again if the
  transaction does not commit; who may read which attachment.
"""
