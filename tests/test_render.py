"""Rendering escapes what others wrote, keeps the template's own tags, and packs buttons."""

import pytest

from bot.render.html import Button, Safe, bullets, keyboard, markdown, message, unpack


def test_values_are_escaped_and_template_tags_kept(guidance):
    text = message(guidance, "outcome_contact", "en", clinic_name="<Harbour & Co>", clinic_phone="+44 1", reasons=Safe("<b>x</b>"),
                   emergency_number="999")
    assert "&lt;Harbour &amp; Co&gt;" in text
    assert "<b>x</b>" in text
    assert text.startswith("<b>")


def test_a_missing_language_falls_back_to_english(guidance):
    assert message(guidance, "stale_button", "xx") == message(guidance, "stale_button", "en")
    assert message(guidance, "stale_button", "es") != message(guidance, "stale_button", "en")


@pytest.mark.parametrize("source, html", [
    ("**Drink** water", "<b>Drink</b> water"),
    ("a _little_ heat", "a <i>little</i> heat"),
    ("see [the guide](https://example.org/a?b=1&c=2)", 'see <a href="https://example.org/a?b=1&amp;c=2">the guide</a>'),
    ("5 < 7 & snake_case_word", "5 &lt; 7 &amp; snake_case_word"),
])
def test_tip_markdown(source, html):
    assert markdown(source) == html


def test_bullets_escape_plain_items_only():
    assert bullets(["a<b", Safe("<i>c</i>")]) == "• a&lt;b\n• <i>c</i>"


@pytest.mark.parametrize("data, expected", [
    ("pa:12:yes", Button("pa", 12, "yes")),
    ("sa:3:", Button("sa", 3, "")),
    ("pa:12:yes:extra", None),
    ("pa:-1:x", None),
    ("<script>", None),
    ("", None),
    (None, None),
])
def test_button_data_round_trip_and_rejects_junk(data, expected):
    assert unpack(data) == expected
    if expected:
        assert unpack(expected.pack()) == expected


def test_keyboard_refuses_data_over_64_bytes():
    with pytest.raises(ValueError):
        keyboard([[("x", "p" * 65)]])
    assert keyboard([[("Yes", "pa:1:y")]]) == {"inline_keyboard": [[{"text": "Yes", "callback_data": "pa:1:y"}]]}
