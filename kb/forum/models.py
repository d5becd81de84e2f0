"""Forum tables (filled in by the forum work)."""
