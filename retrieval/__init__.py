"""Retrieval: language detection, embedders, the vector index and ranking."""
