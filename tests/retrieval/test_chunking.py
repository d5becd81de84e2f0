"""Chunking Markdown articles by headings and paragraphs."""

from __future__ import annotations

from retrieval.chunking import MAX_WORDS, chunk_markdown, markdown_to_text, size_of

GUIDE = """Start here.

# Refunds

Card refunds take **five** working days.

## Bank transfers

Transfers are refunded in [three days](https://example.com/x).

# Delivery

We ship worldwide.
"""


def test_chunks_follow_heading_paths():
    paths = [chunk.heading_path for chunk in chunk_markdown(GUIDE)]
    assert paths == [(), ("Refunds",), ("Refunds", "Bank transfers"), ("Delivery",)]


def test_short_sections_are_not_merged_across_headings():
    texts = [chunk.text for chunk in chunk_markdown(GUIDE)]
    assert "Card refunds take five working days." in texts


def test_context_text_prefixes_title_and_heading_path():
    chunk = chunk_markdown(GUIDE)[2]
    assert (
        chunk.context_text("Money back")
        == "Money back › Refunds › Bank transfers: Transfers are refunded in three days."
    )


def test_long_sections_are_split_into_bounded_chunks():
    body = "# Troubleshooting\n\n" + "\n\n".join(
        f"Step {i} restarts the router and checks the cable again." for i in range(120)
    )
    chunks = chunk_markdown(body)
    assert len(chunks) > 3
    assert all(size_of(chunk.text) <= MAX_WORDS for chunk in chunks)
    assert all(chunk.heading_path == ("Troubleshooting",) for chunk in chunks)


def test_a_single_huge_paragraph_is_split_at_sentences():
    body = " ".join(f"Sentence {i} is about the warranty." for i in range(200))
    chunks = chunk_markdown(body)
    assert len(chunks) >= 5
    assert all(chunk.text.endswith(".") for chunk in chunks)


def test_markup_is_stripped_from_text():
    assert markdown_to_text("See **the** [guide](http://x) and `code` ![logo](a.png)") == "See the guide and code logo"


def test_code_fences_stay_one_block():
    chunks = chunk_markdown("# Setup\n\n```\nline one\n\nline two\n```\n")
    assert chunks[0].text == "line one\n\nline two" or chunks[0].text == "line one\nline two"
