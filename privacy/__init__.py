"""Privacy: a customer's data exported (GDPR Art. 15, 20) or erased (Art. 17), and retention.

The layer above every domain that holds personal data (accounts, the help desk and its mail, the
knowledge base's forum and feedback, after-sales), so that one place can gather or erase all of it:

- ``export``: one JSON document with everything Aftercare holds about a customer.
- ``erasure``: the person is gone, the statistics stay (their rows kept with the text replaced).
- ``retention`` and ``tasks``: customers quiet for long enough are erased by a daily job.
"""
