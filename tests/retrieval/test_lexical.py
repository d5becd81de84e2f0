"""Lexical index: tokenisation across scripts, BM25 scoring, strength and incremental updates."""

from __future__ import annotations

from retrieval.lexical import LexicalIndex, find_term_spans, tokenize


def test_thai_query_matches_thai_document_without_spaces():
    index = LexicalIndex()
    index.add(1, "วิธีขอคืนเงินสำหรับคำสั่งซื้อที่ยกเลิก")  # how to get a refund for a cancelled order
    index.add(2, "การจัดส่งสินค้าไปต่างประเทศ")  # shipping abroad
    hits = index.search("ฉันต้องการคืนเงิน")  # I want a refund
    assert hits[0][0] == 1


def test_polish_words_match_without_diacritics():
    assert tokenize("Zamówienie Łódź") == tokenize("zamowienie lodz")


def test_plural_and_singular_match():
    index = LexicalIndex()
    index.add(1, "Refund policy")
    assert index.search("refunds")[0][0] == 1


def test_matched_terms_name_the_query_words_found():
    index = LexicalIndex()
    index.add(7, "Reset your password from the login page")
    scores = index.score_query("forgot password login")
    assert scores.matched_terms(7) == ["password", "login"]


def test_spans_locate_matched_terms_in_original_text():
    text = "Zwrot pieniędzy na KARTĘ"
    spans = find_term_spans(text, tokenize("karte"))
    assert [text[start:end] for start, end in spans] == ["KARTĘ"]


def test_strength_is_near_zero_for_a_query_in_another_language():
    index = LexicalIndex()
    index.add(1, "How do I get a refund for my order")
    index.add(2, "Track my delivery")
    scores = index.score_query("Jak odzyskać pieniądze za zamówienie")
    assert scores.strength(1) == 0.0
    assert index.score_query("refund for my order").strength(1) > 0.5


def test_removed_units_stop_matching():
    index = LexicalIndex()
    index.add(1, "refund")
    index.add(2, "refund policy")
    index.remove([1])
    assert [key for key, _ in index.search("refund")] == [2]
    assert len(index) == 1


def test_adding_an_existing_key_replaces_it():
    index = LexicalIndex()
    index.add(1, "refund")
    index.add(1, "delivery")
    assert index.search("refund") == [] and index.search("delivery")[0][0] == 1


def test_save_and_load_keep_scores(tmp_path):
    index = LexicalIndex()
    index.add(1, "refund policy for cards")
    index.add(2, "delivery times")
    index.save(tmp_path / "lexical.jsonl")
    loaded = LexicalIndex.load(tmp_path / "lexical.jsonl")
    assert loaded.search("card refund") == index.search("card refund")


def test_positive_strengths_list_every_matching_key_with_its_strength():
    index = LexicalIndex()
    index.add(1, "reset the thermostat")
    index.add(2, "charge the earbuds")
    index.add(3, "reset the earbuds")
    scores = index.score_query("reset earbuds")
    keys, strengths = scores.positive_strengths()
    assert dict(zip(keys.tolist(), strengths.tolist(), strict=True)) == {key: scores.strength(key) for key in (1, 2, 3)}


def test_a_removed_key_has_no_positive_strength_after_its_slot_is_reused():
    index = LexicalIndex()
    index.add(1, "reset the thermostat")
    index.remove([1])
    index.add(2, "charge the earbuds")
    keys, _ = index.score_query("reset earbuds").positive_strengths()
    assert keys.tolist() == [2]


def test_a_snapshot_written_later_holds_the_terms_of_when_it_was_taken(tmp_path):
    index = LexicalIndex()
    index.add(1, "reset the thermostat")
    snapshot = index.snapshot()
    index.remove([1])
    index.add(2, "charge the earbuds")
    snapshot.write(tmp_path / "lexical.jsonl")
    loaded = LexicalIndex.load(tmp_path / "lexical.jsonl")
    assert loaded.keys() == [1] and loaded.search("thermostat")[0][0] == 1
