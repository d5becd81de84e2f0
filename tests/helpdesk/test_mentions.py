"""Mentions in internal notes: who ``@name`` means, and the note's HTML with mentions marked."""

from __future__ import annotations

from types import SimpleNamespace

from helpdesk.notifications.mentions import find_mentions, mentioned_user_ids, mentions_html

AGNIESZKA = SimpleNamespace(id=1, name="Agnieszka Nowak", email="agnieszka@example.com")
BRUNO = SimpleNamespace(id=2, name="Bruno Agent", email="b.agent@example.com")
BRUNA = SimpleNamespace(id=3, name="Bruno Silva", email="silva@example.com")
STAFF = [AGNIESZKA, BRUNO, BRUNA]


def test_a_unique_first_name_is_a_mention():
    assert mentioned_user_ids("Can you check this, @Agnieszka?", STAFF) == [AGNIESZKA.id]


def test_a_quoted_full_name_is_a_mention():
    assert mentioned_user_ids('Over to @"bruno silva" for the refund', STAFF) == [BRUNA.id]


def test_a_full_name_written_out_is_a_mention():
    assert mentioned_user_ids("@Bruno Agent please look", STAFF) == [BRUNO.id]


def test_the_local_part_of_the_address_is_a_mention():
    assert mentioned_user_ids("cc @b.agent.", STAFF) == [BRUNO.id]


def test_a_first_name_two_agents_share_names_nobody():
    # "Bruno" could be either: nobody is told rather than the wrong one.
    assert mentioned_user_ids("@Bruno can you?", STAFF) == []


def test_an_unknown_name_names_nobody():
    assert mentioned_user_ids("@Zed and @ nothing", STAFF) == []


def test_an_email_address_is_not_a_mention():
    assert mentioned_user_ids("She wrote from agnieszka@example.com", STAFF) == []


def test_each_agent_is_named_once_however_often_mentioned():
    assert mentioned_user_ids("@Agnieszka, @agnieszka and @Bruno Agent", STAFF) == [AGNIESZKA.id, BRUNO.id]


def test_the_span_covers_the_at_sign_and_the_name_only():
    (mention,) = find_mentions("ask @Agnieszka.", STAFF)
    assert "ask @Agnieszka."[mention.start : mention.end] == "@Agnieszka"


def test_html_marks_the_mention_and_escapes_the_rest():
    html = str(mentions_html('<b>hi</b> @Agnieszka & "you"', STAFF))
    assert html == (
        '&lt;b&gt;hi&lt;/b&gt; <span class="mention" data-user-id="1" title="Agnieszka Nowak">@Agnieszka</span>'
        " &amp; &#34;you&#34;"
    )


def test_html_of_an_unknown_mention_is_plain_escaped_text():
    assert str(mentions_html("@<script>", STAFF)) == "@&lt;script&gt;"
