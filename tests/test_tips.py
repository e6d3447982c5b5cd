"""Tips by relevance (issue 14, point 1): the tips that fit the check-in hour, the session's
intensity and the patient's activities come first, at most tips.toml's `per_message` of them, and
none twice in a follow-up unless asked; /tips shows every tip that fits now. The pure choice and
rendering first, then the real bot against the emulator."""

import pytest

from bot.clinic.fhir import bundle
from bot.guidance.config import load_config
from bot.guidance.model import INTENSITIES
from bot.render import checkin as cr
from bot.triage.engine import Context, Reply, relevant_tips, triage

from .harness import write_config
from .test_patient_journey import answer_checkin, next_checkin, patient_bot, session_of, tap, write

CALM = {"soreness": 2, "bruising": "none", "fatigue": "none", "warning_signs": ["none"]}
ACTIVITIES = [(), ("running",), ("gym",)]
REST = {"en": "rest from training for 24 to 48 hours", "es": "descansa del entrenamiento entre 24 y 48 horas"}


@pytest.fixture
def clinic(tmp_path):
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/bot", [(1, "Dana", "practitioner")]))
    return config.clinics[0]


def general_tips_fitting(guidance, hour, intensity, activities):
    return [
        t
        for t in guidance.tips
        if t.topic is None
        and (not t.checkins or hour in t.checkins)
        and (not t.intensity or intensity in t.intensity)
        and (not t.activity or set(t.activity) & set(activities))
    ]


# ---- the choice, pure


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("activities", ACTIVITIES, ids=lambda a: "+".join(a) or "no-activity")
@pytest.mark.parametrize("intensity", INTENSITIES)
@pytest.mark.parametrize("hour", [6, 24, 48, 72])
def test_the_tailored_tips_are_in_the_outcome(guidance, clinic, hour, intensity, activities, lang):
    assessment = triage(Reply("", CALM), Context(hour, ("calf",), intensity, activities), guidance)
    message = cr.outcome(guidance, clinic, lang, assessment)
    fitting = general_tips_fitting(guidance, hour, intensity, activities)
    tailored = sorted((t for t in fitting if t.specificity), key=lambda t: -t.specificity)
    limit = guidance.tips_per_message
    if hour in (6, 24):  # every intensity has its own advice for the first day
        assert tailored, (hour, intensity, activities)
    for tip in tailored[:limit]:
        assert cr.tip_text(tip, lang) in message, (tip.id, hour, intensity, activities)
    assert message.count("• ") == min(limit, len(fitting))  # general tips fill the rest
    if intensity == "heavy" and hour in (6, 24):
        assert REST[lang] in message


def test_the_most_tailored_tip_comes_first_then_file_order(guidance):
    tips = relevant_tips(guidance, 48, "heavy", ("running",), set())
    assert tips[0].id == "running_heavy_48h"  # names both intensity and activity
    assert [t.specificity for t in tips] == sorted((t.specificity for t in tips), reverse=True)
    general = [t for t in guidance.tips if t in tips and not t.specificity]
    assert [t for t in tips if not t.specificity] == general


def test_a_topic_asked_about_comes_before_every_tailored_tip(guidance):
    tips = relevant_tips(guidance, 24, "heavy", ("running",), {"topic_gym"})
    assert tips[0].id == "topic_gym_24h_heavy" and tips[1].id == "training_heavy_early"


# ---- on the real Application against the emulator


async def enrolled(h, user, yes, **enrol):
    """`user` opens a fresh link and agrees by tapping `yes` (the button in their language)."""
    await h.emu.start_deep_link(user, h.enrol(**enrol))
    await tap(h, user, await h.emu.wait_for_message(user), yes)
    await h.emu.wait_for_message(user)


def bullets(text):
    return [line for line in text.splitlines() if line.startswith("• ")]


@pytest.mark.parametrize(
    "lang, yes, words, header",
    [
        ("en", "Yes, I agree", "a bit sore, 2/10", "Tips for right now"),
        ("es", "Sí, acepto", "un poco de dolor, 2/10", "Consejos para este momento"),
    ],
)
async def test_a_heavy_session_runner_is_told_to_rest_from_training_at_24_hours(
    make_bot, lang, yes, words, header
):
    h = await patient_bot(make_bot)
    ben = h.emu.add_user("Ben", language_code=lang)
    await enrolled(h, ben, yes, intensity="heavy", activities=("running",))
    await next_checkin(h, ben, 24)  # the 6 h check-in went unanswered: no tips yet
    reply = await write(h, ben, words)
    assert REST[lang] in reply.text
    assert len(bullets(reply.text)) == h.services.guidance("harbour").tips_per_message
    everything = await write(h, ben, "/tips")  # asked: every tip that fits now, those sent too
    fitting = general_tips_fitting(h.services.guidance("harbour"), 24, "heavy", ("running",))
    assert everything.text.startswith(header) and REST[lang] in everything.text
    assert len(bullets(everything.text)) == len(fitting) > len(bullets(reply.text))


async def test_a_follow_up_never_repeats_a_tip_but_answers_a_topic_again(make_bot):
    h = await patient_bot(make_bot)
    ana = h.emu.add_user("Ana")
    await enrolled(h, ana, "Yes, I agree", intensity="heavy", activities=("running",))
    h.advance(3600)
    asked = [await write(h, ana, "can I go running tomorrow?") for _ in range(2)]
    running = next(t for t in h.services.guidance("harbour").tips if t.id == "topic_running_early")
    opening = running.text.replace("**", "").split(".")[0]
    assert all(bullets(a.text)[0].startswith(f"• {opening}") for a in asked)  # asked twice, told twice
    sent = bullets(asked[0].text) + bullets(asked[1].text)[1:]
    for hours, soreness in ((6, 4), (24, 3), (48, 2), (72, 1)):
        checkin = await next_checkin(h, ana, hours)
        outcome = await answer_checkin(h, ana, checkin, soreness)
        assert outcome.text.startswith("Thank you.") and bullets(outcome.text), hours
        sent += bullets(outcome.text)
    assert len(sent) == len(set(sent)), sent
    session = session_of(h, ana)
    recorded = h.store.tips_sent(session["id"])
    assert {"training_heavy_early", "running_heavy_48h", "topic_running_early"} <= recorded
    guidance = h.services.guidance("harbour")
    exported = bundle(h.store, guidance, h.clinic, h.clock())
    found = {e["resource"]["id"]: e["resource"] for e in exported["entry"]}
    by_id, listed = {t.id: t for t in guidance.tips}, h.store.tips_by_assessment(session["id"])
    closing = [a["id"] for a in h.store.assessments(session["id"]) if a["checkin_id"] is not None]
    assert len(closing) == 4
    for assessment_id in closing:  # the export names the tips each check-in's outcome listed
        payload = [p["contentString"] for p in found[f"tips-{assessment_id}"]["payload"]]
        assert payload == [by_id[i].text for i in listed[assessment_id]]
    assert h.store.delete_patient(session["patient_id"]) is not None
    assert h.store.tips_sent(session["id"]) == set()  # erased with the follow-up
