"""The public JSON API, ``/api/v1``: a contract that outside tools rely on."""
