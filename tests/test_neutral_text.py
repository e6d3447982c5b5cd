"""Bidi controls and invisible characters in a patient's name or words cannot reverse, hide or
disguise what staff read (issue 12, point 9)."""

import pytest

from bot.render.html import neutral

from .test_patient_journey import consent, write

CONTROLS = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200b\u200c\u200d\u200e\u200f\ufeff\u061c\u2060\u00ad"
)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Ana", "Ana"),
        ("\u202eanA", "anA"),  # RIGHT-TO-LEFT OVERRIDE: the rest of the line would read backwards
        ("Ana\u2066 \u2069", "Ana "),  # isolates
        ("\u202a\u202b\u202c\u202dAna", "Ana"),  # embeddings and overrides
        ("A\u200bn\u200ca\u200d\u200e\u200f", "Ana"),  # zero-width space, joiners, marks
        ("\ufeffAna\u2060", "Ana"),  # BOM, word joiner
        ("\u061cAna\u00ad", "Ana"),  # Arabic letter mark, soft hyphen
        ("\u3164", ""),  # a Hangul filler draws as a blank name
        ("Ana\nLee\u2028Ruiz\tX", "Ana Lee Ruiz X"),  # breaks become spaces
        ("\x00Ana\x07\x1b", "Ana"),  # controls
        ("Zoë 👋🏽", "Zoë 👋🏽"),  # accents, emoji and skin tones stay
        ("محمد", "محمد"),  # right-to-left letters stay: only controls go
        ("José <b>", "José <b>"),  # HTML is escaped later, not here
    ],
)
def test_controls_and_invisible_characters_are_neutralised(text, shown):
    assert neutral(text) == shown


async def test_an_alert_and_the_staff_views_show_a_name_and_words_without_controls(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    mallory = emu.add_user("\u202eyrollaM\u2066\u200b")
    await consent(h, mallory, areas=("forearm",))
    await write(h, mallory, "my fingers\u200b are numb\u202e since the gym\u2069")
    await h.tick()
    alert = await emu.wait_for_message(dana)
    patient_id = h.store.patient_by_telegram(mallory.id)["id"]
    for command in ("/active", "/alerts", f"/patient {patient_id}"):
        await emu.send_text(dana, command)
    await h.idle()
    shown = [m.text for m in emu.messages_to(dana)]
    assert alert.text.startswith("🟠 Needs review today · yrollaM #")
    assert "“my fingers are numb since the gym”" in alert.text
    assert sum("yrollaM" in text for text in shown) >= 4  # the alert, /active, /alerts, /patient
    assert [text for text in shown if set(text) & set(CONTROLS)] == []
