"""Benchmarks and evaluations that print figures (run as scripts, e.g. python bench/eval_retrieval.py)."""
