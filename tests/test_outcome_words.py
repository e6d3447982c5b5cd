"""Outcomes say what the patient said (issue 14, point 4): "What you told me" names the signs they
ticked by their labels, the soreness they tapped, or their own words quoted, never a rule's whole
list of signs; the staff's alert keeps the rule's reason. Pure rendering first, then the real bot
against the emulator in English and Spanish."""

from dataclasses import replace

import pytest

from bot.guidance.config import load_config
from bot.render import checkin as cr
from bot.triage.engine import Context, PriorCheckin, Reply, triage

from .harness import write_config
from .test_patient_journey import consent, next_checkin, tap, write

CALF = Context(hours=24, areas=("calf",))
# Signs of the infection rule (C9) the patient who only has a fever never reported.
NOT_REPORTED = ("pus", "oozing", "spreading redness", "supuración", "enrojecimiento")


@pytest.fixture
def clinic(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9/bot", [(1, "Dana", "practitioner")])
    return load_config(path).clinic("harbour")


def told(guidance, clinic, lang, reply, context=CALF):
    return cr.outcome(guidance, clinic, lang, triage(reply, context, guidance))


@pytest.mark.parametrize(
    "lang, label, lead",
    [
        ("en", "Fever or chills", "What you told me: "),
        ("es", "Fiebre o escalofríos", "Lo que me has contado: "),
    ],
)
def test_a_ticked_sign_is_told_by_its_label_alone(guidance, clinic, lang, label, lead):
    text = told(guidance, clinic, lang, Reply(answers={"warning_signs": ["fever"]}))
    assert lead + label + "\n" in text
    assert not [word for word in NOT_REPORTED if word in text.lower()]


def test_several_ticked_signs_are_listed_in_the_checklist_order(guidance, clinic):
    assessment = triage(Reply(answers={"warning_signs": ["numbness", "fever"]}), CALF, guidance)
    assert cr.reported(guidance, assessment, "en") == ["Fever or chills", "Numbness or tingling"]
    # The staff's stored reasons stay the rules' own.
    assert "Numbness, tingling or pins and needles" in cr.reasons(guidance, assessment)


def test_a_generic_warning_sign_rule_names_the_sign_ticked(guidance):
    assessment = triage(Reply(answers={"warning_signs": ["numbness"]}), CALF, guidance)
    alone = replace(assessment, fired=tuple(r for r in assessment.fired if r.id == "C15"))
    assert cr.reported(guidance, alone, "es") == ["Hormigueo o entumecimiento"]


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", "my calf is red and hot"),
        ("es", "tengo la pantorrilla roja y caliente"),
    ],
)
def test_written_words_are_quoted_back(guidance, clinic, lang, words):
    text = told(guidance, clinic, lang, Reply(words))
    assert f"“{words}”" in text
    assert not [word for word in NOT_REPORTED if word in text.lower()]
    assert "Warmth or heat" not in text and "Calor en la zona" not in text


def test_of_a_long_message_the_sentence_that_tells_is_quoted(guidance):
    words = "Had a lovely day at work and walked the dog.\nThen my calf went red and hot! Anyway, thanks."
    assessment = triage(Reply(words), CALF, guidance)
    assert cr.reported(guidance, assessment, "en") == ["“Then my calf went red and hot!”"]


def test_quoted_words_are_trimmed_neutralised_and_escaped(guidance, clinic):
    words = "my calf is red and hot <b>\u202e" + " and it keeps going" * 10
    text = told(guidance, clinic, "en", Reply(words))
    quote = text[text.index("“") : text.index("”") + 1]
    assert quote.startswith("“my calf is red and hot &lt;b&gt; and it keeps") and quote.endswith("…”")
    escaping = len("&lt;b&gt;") - len("<b>")
    assert "\u202e" not in quote and len(quote) <= len("“”") + cr.QUOTE_CHARS + escaping


def test_a_score_is_told_as_the_patient_gave_it(guidance, clinic):
    tapped = triage(Reply(answers={"soreness": 9}), CALF, guidance)
    assert cr.reported(guidance, tapped, "en") == ["Soreness 9/10"]
    rising = Context(hours=48, areas=("calf",), history=(PriorCheckin(24, 4),))
    assert cr.reported(guidance, triage(Reply(answers={"soreness": 8}), rising, guidance), "es") == [
        "Dolor 8/10 (antes 4/10)"
    ]
    written = triage(Reply("9/10 and worse"), CALF, guidance)
    assert cr.reported(guidance, written, "en") == ["“9/10 and worse”"]
    assert "7/10 or more" not in cr.outcome(guidance, clinic, "en", tapped)


# ---- on the real bot


async def test_only_fever_ticked_names_fever_and_the_staff_read_the_rule(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 24)
    for label in ("3", "No bruising", "Normal energy", "Fever or chills"):  # a warning sign answers at once
        await tap(h, ana, checkin, label)
    outcome = await h.emu.wait_for_message(ana)
    assert outcome.text.startswith("Please contact Harbour Physio today")
    assert "What you told me: Fever or chills\n" in outcome.text
    assert not [word for word in NOT_REPORTED if word in outcome.text.lower()]
    await h.tick()
    alert = await h.emu.wait_for_message(h.practitioner)
    assert "Possible infection (spreading redness, pus, oozing, fever or chills)" in alert.text


async def test_only_fever_ticked_in_spanish(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Sí, acepto")
    await h.emu.wait_for_message(eva)
    checkin = await next_checkin(h, eva, 24)
    for label in ("3", "Sin moretones", "Energía normal", "Fiebre, escalofrío"):  # its short label
        await tap(h, eva, checkin, label)
    outcome = await h.emu.wait_for_message(eva)
    assert outcome.text.startswith("Contacta hoy con Harbour Physio")
    assert "Lo que me has contado: Fiebre o escalofríos\n" in outcome.text
    assert not [word for word in NOT_REPORTED if word in outcome.text.lower()]


@pytest.mark.parametrize(
    "language, words, lead",
    [
        ("en", "my calf is red and hot", "What you told me: "),
        ("es", "tengo la pantorrilla roja y caliente", "Lo que me has contado: "),
    ],
)
async def test_written_words_come_back_in_the_patients_words(make_bot, language, words, lead):
    h = await make_bot()
    ana = h.emu.add_user("Ana", language_code=language)
    await h.emu.start_deep_link(ana, h.enrol())
    await tap(h, ana, await h.emu.wait_for_message(ana), "Yes, I agree" if language == "en" else "Sí, acepto")
    await h.emu.wait_for_message(ana)
    h.advance(3600)
    reply = await write(h, ana, words)
    assert f"{lead}“{words}”\n" in reply.text
    assert not [word for word in NOT_REPORTED if word in reply.text.lower()]
