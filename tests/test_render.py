"""Rendering escapes what others wrote, keeps the template's own tags, and packs buttons."""

import pytest

from bot.render import alerts
from bot.render.html import Button, Safe, bullets, keyboard, markdown, message, unpack


def test_values_are_escaped_and_template_tags_kept(guidance):
    text = message(
        guidance,
        "outcome_contact",
        "en",
        clinic_name="<Harbour & Co>",
        clinic_phone="+44 1",
        reasons=Safe("<b>x</b>"),
        emergency_number="999",
    )
    assert "&lt;Harbour &amp; Co&gt;" in text
    assert "<b>x</b>" in text
    assert text.startswith("<b>")


def test_a_missing_language_falls_back_to_english(guidance):
    assert message(guidance, "stale_button", "xx") == message(guidance, "stale_button", "en")
    assert message(guidance, "stale_button", "es") != message(guidance, "stale_button", "en")


@pytest.mark.parametrize(
    "source, html",
    [
        ("**Drink** water", "<b>Drink</b> water"),
        ("a _little_ heat", "a <i>little</i> heat"),
        (
            "see [the guide](https://example.org/a?b=1&c=2)",
            'see <a href="https://example.org/a?b=1&amp;c=2">the guide</a>',
        ),
        ("5 < 7 & snake_case_word", "5 &lt; 7 &amp; snake_case_word"),
    ],
)
def test_tip_markdown(source, html):
    assert markdown(source) == html


def test_bullets_escape_plain_items_only():
    assert bullets(["a<b", Safe("<i>c</i>")]) == "• a&lt;b\n• <i>c</i>"


@pytest.mark.parametrize(
    "data, expected",
    [
        ("pa:12:yes", Button("pa", 12, "yes")),
        ("sa:3:", Button("sa", 3, "")),
        ("pa:12:yes:extra", None),
        ("pa:-1:x", None),
        ("<script>", None),
        ("", None),
        (None, None),
    ],
)
def test_button_data_round_trip_and_rejects_junk(data, expected):
    assert unpack(data) == expected
    if expected:
        assert unpack(expected.pack()) == expected


def test_keyboard_refuses_data_over_64_bytes():
    with pytest.raises(ValueError):
        keyboard([[("x", "p" * 65)]])
    assert keyboard([[("Yes", "pa:1:y")]]) == {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "pa:1:y"}]]
    }


# ---- alert texts: data in, HTML out (no store, no clock)

SCORES = [
    {"id": 1, "hours": 6.0, "soreness": 3, "trend": None},
    {"id": 2, "hours": 24.0, "soreness": None, "trend": None},
    {"id": 3, "hours": 48.5, "soreness": 7, "trend": "rising_fast"},
]


@pytest.mark.parametrize(
    "upto, expected",
    [
        (None, "6h 3 → 48.5h 7"),
        (SCORES[0], "6h 3"),
        (SCORES[2], "6h 3 → 48.5h 7 (rising fast)"),
    ],
)
def test_the_trend_lists_scores_up_to_the_assessment(upto, expected):
    assert alerts.trend_text(SCORES, upto) == expected


def test_a_patients_words_are_quoted_on_one_line_and_cut():
    assert alerts.quote("my <fingers>\n\ntingle") == "my <fingers> tingle"
    long = alerts.quote("x" * 1000)
    assert len(long) == alerts.FREE_TEXT_LIMIT and long.endswith("…")


def test_a_long_alert_is_cut_at_a_line_break():
    text = "\n".join(f"• line {i}" for i in range(100))
    clipped = alerts.clip(text, 200)
    assert len(clipped) <= 200 and clipped.endswith("\n…") and "\n• line" in clipped
    assert alerts.clip("short", 200) == "short"


def test_the_answers_an_assessment_judged():
    answers = [
        {"checkin_id": 1, "question_id": "soreness", "value": 4, "received_at": 10},
        {"checkin_id": None, "question_id": "text", "value": "first", "received_at": 11},
        {"checkin_id": None, "question_id": "text", "value": "second", "received_at": 12},
        {"checkin_id": None, "question_id": "text", "value": "later", "received_at": 99},
    ]
    of_checkin = {"checkin_id": 1, "created_at": 50}
    of_words = {"checkin_id": None, "created_at": 50}
    assert [a["value"] for a in alerts.assessment_answers(answers, of_checkin)] == [4]
    assert [a["value"] for a in alerts.assessment_answers(answers, of_words)] == ["second"]
    assert alerts.assessment_answers(answers, None) == []
