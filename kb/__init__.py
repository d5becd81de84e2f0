"""Knowledge base: articles, translations, versions, import/export; the community forum."""
