"""After-sales tables (filled in by the after-sales work)."""
