"""Markdown rendering and sanitising: nothing executable survives, whatever an author writes.

Every output is parsed and audited: only allow-listed tags and attributes, and every URL is
http(s), mailto or relative. Both layers are tested: the Markdown renderer alone, and the HTML
sanitiser alone on raw HTML (in case the renderer ever lets HTML through).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from kb.markdown import render_markdown, sanitize_html

# The test's own allow-list, written here on purpose (not imported from kb.markdown): what an
# article written in Markdown needs (text blocks, headings, emphasis, code, quotes, lists, links,
# images, tables), and nothing that can run script, load a frame or submit a form. Widening the
# sanitiser's list makes these tests fail until someone decides here that the new tag is safe.
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre"}
    | {"blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[x](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '![x](x" onerror="alert(1))',
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<base href="javascript:/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="https://ok.example" style="color:red" target="_blank">x</a>',
]
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _url_is_safe(url: str) -> bool:
    # As a browser reads it: entities decoded (HTMLParser did), tabs, newlines and controls
    # ignored; a URL has a scheme only if it starts with scheme characters and a colon
    # ("jav%09ascript:x" is a relative path).
    squeezed = "".join(char for char in url if char > " ").lower()
    if not re.match(r"^[a-z][a-z0-9+.-]*:", squeezed):
        return True
    return squeezed.startswith(SAFE_SCHEMES)


def assert_safe(html: str) -> None:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    for tag, attrs in audit.tags:
        assert tag in ALLOWED_TAGS, f"tag {tag!r} survived in {html!r}"
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel", "class"}
        for name, value in attrs:
            assert name in allowed, f"attribute {name!r} on {tag!r} survived in {html!r}"
            assert not name.startswith("on")
            if name in ("href", "src"):
                assert _url_is_safe(value or ""), f"unsafe URL {value!r} survived in {html!r}"
            if name == "class":
                assert (value or "").startswith("align-")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_body_payload_renders_harmless(payload):
    assert_safe(str(render_markdown(payload)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_inside_a_real_article_renders_harmless(payload):
    body = f"# Reset\n\nSome text {payload} more text.\n\n- step {payload}\n\n| a |\n|---|\n| {payload} |"
    assert_safe(str(render_markdown(body)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitiser_alone_removes_payload_from_raw_html(payload):
    assert_safe(sanitize_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_in_a_title_is_escaped_by_the_page_templates(payload):
    from web.templating import templates

    html = templates.env.from_string("<h1>{{ title }}</h1>").render(title=payload)
    audit = _Audit()
    audit.feed(html)
    assert [tag for tag, _ in audit.tags] == ["h1"]


def test_script_content_is_dropped_not_shown():
    assert "alert" not in sanitize_html("<p>ok</p><script>alert(1)</script>")


def test_links_get_rel_nofollow_noopener():
    html = str(render_markdown("[docs](https://example.com/help) and [mail](mailto:help@example.com)"))
    assert html.count('rel="nofollow noopener noreferrer"') == 2
    assert 'href="https://example.com/help"' in html and 'href="mailto:help@example.com"' in html


def test_relative_links_survive():
    assert 'href="/kb/factory-reset"' in str(render_markdown("[reset](/kb/factory-reset)"))


def test_ordinary_markdown_survives():
    html = str(
        render_markdown(
            "## Steps\n\n1. Press **Menu**\n2. Choose *Reset*\n\n> Note\n\n`code`\n\n```\nblock\n```\n\n~~old~~\n\n---"
        )
    )
    for fragment in (
        "<h2>Steps</h2>",
        "<ol>",
        "<strong>Menu</strong>",
        "<em>Reset</em>",
        "<blockquote>",
        "<code>code</code>",
        "<pre><code>block",
        "<s>old</s>",
        "<hr>",
    ):
        assert fragment in html


def test_table_alignment_becomes_a_class_not_a_style():
    html = str(render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |"))
    assert '<th class="align-left">a</th>' in html and '<td class="align-right">2</td>' in html
    assert "style" not in html


def test_images_keep_safe_sources():
    html = str(render_markdown('![Dock](https://example.com/dock.png "The dock")'))
    assert '<img src="https://example.com/dock.png" alt="Dock" title="The dock">' in html


def test_unicode_text_is_kept():
    text = "ภาษาไทย, Zażółć gęślą jaźń, Bahasa Indonesia 🙂"
    assert text in str(render_markdown(text))
