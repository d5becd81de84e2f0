"""Knowledge-base tables: articles, translations, versions (filled in by the KB work)."""
