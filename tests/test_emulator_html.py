"""The emulator's HTML parse mode against tdlib's own parse_html cases and Telegram's replies."""

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.html import HtmlError, parse_html, utf16_len
from bot.emulator.params import Params
from bot.emulator.validation import caption, message_text

VALID = [
    ("plain", "plain", []),
    ("<b>bold</b> <strong>x</strong>", "bold x", [("bold", 0, 4), ("bold", 5, 1)]),
    ("<i>a</i><em>b</em>", "ab", [("italic", 0, 1), ("italic", 1, 1)]),
    ("<u>a</u><ins>b</ins>", "ab", [("underline", 0, 1), ("underline", 1, 1)]),
    ("<s>a</s><strike>b</strike><del>c</del>", "abc", [("strikethrough", i, 1) for i in range(3)]),
    (
        '<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>',
        "ab",
        [("spoiler", 0, 1), ("spoiler", 1, 1)],
    ),
    ("<B>upper</B>", "upper", [("bold", 0, 5)]),
    ("<b><i>nested</i></b>", "nested", [("bold", 0, 6), ("italic", 0, 6)]),
    ("<i>closed by</>", "closed by", [("italic", 0, 9)]),
    ("&lt;&gt;&amp;&quot;", '<>&"', []),
    ("&#60;&#x3E;", "<>", []),
    ("&lt without semicolon", "< without semicolon", []),
    ("a > b", "a > b", []),
    ("🏟 🏟<i>🏟 &lt;🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
    ("<code>x</code>", "x", [("code", 0, 1)]),
    ("<pre>x</pre>", "x", [("pre", 0, 1)]),
    ('<pre><code class="language-python">x</code></pre>', "x", [("pre", 0, 1)]),
    ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
    ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
    ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link", [("text_link", 0, 4)]),
    ("<a href='https://example.org'>single quotes</a>", "single quotes", [("text_link", 0, 13)]),
    ("<b></b>empty tags add no entity", "empty tags add no entity", []),
    ('<b class="ignored">x</b>', "x", [("bold", 0, 1)]),
]

INVALID = [
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("<p>para</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ("if a < b", 'Unsupported start tag "" at byte offset 5'),
    ("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
    ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>test</b></i>", 'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    ("text <b", "Unclosed start tag at byte offset 5"),
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    (
        "🏟 🏟&lt;<i    aba>",
        'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
    ),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('<i aba="unterminated>', "Unclosed start tag at byte offset 0"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ("Fish & chips", 'Unescaped "&" at byte offset 5; write it as "&amp;"'),
    ("&laquo;quoted&raquo;", 'Unescaped "&" at byte offset 0; write it as "&amp;"'),
    (
        "&#xDFDF;",
        "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched"
        " surrogate code units",
    ),
]


@pytest.mark.parametrize(("source", "text", "entities"), VALID)
def test_valid_html_gives_text_and_entities(source, text, entities):
    parsed = parse_html(source)
    assert parsed.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == entities


@pytest.mark.parametrize(("source", "error"), INVALID)
def test_invalid_html_is_refused_with_telegrams_text(source, error):
    with pytest.raises(HtmlError) as refused:
        parse_html(source)
    assert str(refused.value) == error


def test_link_keeps_its_url_and_pre_its_language():
    (link,) = parse_html('<a href="https://example.org/?a=1&amp;b=2">x</a>').entities
    (pre,) = parse_html('<pre><code class="language-python">x</code></pre>').entities
    assert link["url"] == "https://example.org/?a=1&b=2"
    assert pre["language"] == "python"


def test_lenient_mode_keeps_a_bare_ampersand_like_telegram():
    assert parse_html("Fish & chips &laquo;", strict_ampersand=False).text == "Fish & chips &laquo;"


def test_entity_offsets_count_utf16_units():
    assert utf16_len("🏟a") == 3
    assert parse_html("🏟<b>a</b>").entities[0]["offset"] == 2


def _text(**fields):
    return message_text(Params(fields), strict_html=True)


LENGTHS = [
    ("<b>" + "x" * 4096 + "</b>", 4096),
    ("&lt;" * 4096, 4096),
    ("  \n padded \n  ", 6),
    ("я" * 4096, 4096),
]


@pytest.mark.parametrize(("source", "length"), LENGTHS)
def test_length_is_measured_after_tags_entities_and_trimming(source, length):
    assert len(_text(text=source, parse_mode="HTML").text) == length


REFUSED_TEXT = [
    ({}, "Bad Request: message text is empty"),
    ({"text": ""}, "Bad Request: message text is empty"),
    ({"text": "   "}, "Bad Request: text must be non-empty"),
    ({"text": "<b> </b>", "parse_mode": "HTML"}, "Bad Request: text must be non-empty"),
    ({"text": "x" * 4097}, "Bad Request: message is too long"),
    ({"text": "<i>" + "x" * 4097 + "</i>", "parse_mode": "HTML"}, "Bad Request: message is too long"),
    ({"text": "x" * 40000}, "Bad Request: text is too long"),
    ({"text": "x", "parse_mode": "XML"}, "Bad Request: unsupported parse_mode"),
    (
        {"text": "<foo>", "parse_mode": "html"},
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
    ),
]


@pytest.mark.parametrize(("fields", "description"), REFUSED_TEXT)
def test_text_rules_refuse_with_telegrams_description(fields, description):
    with pytest.raises(ApiError) as refused:
        _text(**fields)
    assert (refused.value.status, refused.value.description) == (400, description)


def test_trimming_moves_entities_with_the_text():
    trimmed = _text(text="\n\n <b>bold</b> ", parse_mode="HTML")
    assert (trimmed.text, trimmed.entities[0]["offset"]) == ("bold", 0)


def test_caption_limit_is_1024():
    assert caption(Params({"caption": "x" * 1024}), strict_html=True).text == "x" * 1024
    with pytest.raises(ApiError, match="message caption is too long"):
        caption(Params({"caption": "x" * 1025}), strict_html=True)
