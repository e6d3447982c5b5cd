"""One-tap answers, on the real bot against the emulator: "No, none of these" answers the
warning-signs checklist in one tap, the signs sit two to a row, and a reminder carries the open
question's buttons (a press on either message answers it; the other is then stale)."""

import shutil
from pathlib import Path

import pytest

from bot.render import checkin as cr
from bot.render.html import unpack

from .test_patient_journey import consent, next_checkin, session_of, tap

HOUR = 3600
SIGNS = [
    "Chest pain",
    "Short of breath",
    "Pain breathing in",
    "Fever or chills",
    "Spreading red, pus",
    "Numb or tingling",
    "Weakness",
    "Dizzy or faint",
    "Swelling or heat",
    "Nonstop bleeding",
    "Pain spreading",
]


# ---- the keyboards (pure)


def checklist_rows(guidance, lang, selected=0):
    index, question = next((i, q) for i, q in enumerate(guidance.questions) if q.kind == "checklist")
    markup = cr.question_keyboard(guidance, lang, 10**11, index, question, selected)
    return question, [
        [(b["text"], unpack(b["callback_data"])) for b in row] for row in markup["inline_keyboard"]
    ]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_signs_go_two_a_row_and_none_of_these_is_done_with_nothing_ticked(guidance, lang):
    question, rows = checklist_rows(guidance, lang)
    *signs, [(label, none)] = rows
    assert [len(row) for row in signs] == [2, 2, 2, 2, 2, 1]
    assert label == guidance.message("checklist_none_button", lang)
    assert (none.action, none.value) == (cr.DONE, "3.0")  # what "Done" with nothing ticked sends
    assert all(
        len(text) <= 18 and (b.action, b.value.count(".")) == (cr.TOGGLE, 2)
        for row in signs
        for text, b in row
    )


def test_a_ticked_sign_turns_the_wide_button_into_done(guidance):
    question, rows = checklist_rows(guidance, "en", selected=1 << 3)  # fever
    [(label, done)] = rows[-1]
    assert (label, done.action, done.value) == ("Done", cr.DONE, "3.8")
    assert rows[1][1][0] == "✅ Fever or chills"


def test_the_scale_stays_two_rows(guidance):
    scale = guidance.questions[0]
    markup = cr.question_keyboard(guidance, "en", 1, 0, scale)
    assert [len(row) for row in markup["inline_keyboard"]] == [6, 5]


def test_a_short_label_in_a_language_without_one_is_the_english(guidance):
    option = guidance.questions[3].options[0]
    assert cr.short_label(option, "es") == "Dolor de pecho"
    assert cr.short_label(option, "fr") == "Chest pain"  # a language guidance does not have


# ---- on the real bot


def labels(message) -> list[list[str]]:
    return [[button["text"] for button in row] for row in message.keyboard]


def shown(h, user, message):
    """The message as the chat shows it now (after the bot's edits)."""
    return h.emu.chat(user).messages[message.message_id]


async def to_checklist(h, user, message):
    for label in ("2", "No bruising", "Normal energy"):
        await tap(h, user, message, label)
    return shown(h, user, message)


async def test_the_checklist_shows_two_signs_a_row_then_one_wide_answer(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checklist = await to_checklist(h, ana, await next_checkin(h, ana, 6))
    rows = labels(checklist)
    assert rows[:-1] == [SIGNS[n : n + 2] for n in range(0, len(SIGNS), 2)]
    assert rows[-1] == ["No, none of these"]  # nothing ticked: no "Done" to find
    assert all(len(b["callback_data"].encode()) <= 64 for b in checklist.buttons)


async def test_one_tap_on_none_of_these_answers_the_checklist(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, await to_checklist(h, ana, checkin), "No, none of these")
    reply = await h.emu.wait_for_message(ana)
    closed = shown(h, ana, checkin)
    assert closed.keyboard == [] and "None of these" in closed.text
    assert reply.text.startswith("Thank you. From what you've told me")
    cid = h.store.latest_sent_checkin(session_of(h, ana)["id"])["id"]
    assert h.store.checkin_answers(cid)["warning_signs"] == ["none"]  # as ticking nothing then Done
    assert h.store.checkin(cid)["status"] == "answered"


def checklist_first(tmp_path: Path) -> Path:
    """The shipped guidance with the checklist asked before the energy question."""
    folder = tmp_path / "guidance"
    shutil.copytree(Path(__file__).parent.parent / "guidance", folder)
    path = folder / "questions.toml"
    head, soreness, bruising, fatigue, signs, *after_alert = path.read_text(encoding="utf-8").split(
        "\n[[questions]]\n"
    )
    questions = [head, soreness, bruising, signs, fatigue, *after_alert]
    path.write_text("\n[[questions]]\n".join(questions), encoding="utf-8")
    return folder


async def test_one_tap_on_none_of_these_asks_the_next_question(make_bot, tmp_path):
    h = await make_bot(guidance_dir=str(checklist_first(tmp_path)))
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "2")
    await tap(h, ana, checkin, "No bruising")
    await tap(h, ana, shown(h, ana, checkin), "No, none of these")
    asking = shown(h, ana, checkin)
    assert "How is your energy?" in asking.text and "None of these" in asking.text
    assert labels(asking) == [["Normal energy"], ["A bit tired"], ["Too tired for my day"]]
    cid = h.store.latest_sent_checkin(session_of(h, ana)["id"])["id"]
    assert h.store.checkin_answers(cid) == {"soreness": 2, "bruising": "none", "warning_signs": ["none"]}


async def reminded(h, user, word="gentle reminder"):
    """The check-in at 6 h, left unanswered until its reminder comes (2 h later)."""
    checkin = await next_checkin(h, user, 6)
    h.advance(2 * HOUR + 60)
    await h.tick()
    reminder = await h.emu.wait_for_message(user)
    assert word in reminder.text.lower()
    return checkin, reminder


async def test_a_reminder_carries_the_open_questions_buttons(make_bot):
    h = await make_bot(quiet_hours=None)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin, reminder = await reminded(h, ana)
    assert reminder.keyboard == checkin.keyboard  # the same callback data: either press answers
    assert labels(reminder) == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]
    await tap(h, ana, reminder, "3")
    asking = shown(h, ana, reminder)
    assert "Any bruising" in asking.text and labels(asking)[0] == ["No bruising"]
    cid = h.store.latest_sent_checkin(session_of(h, ana)["id"])["id"]
    assert h.store.checkin_answers(cid) == {"soreness": 3}


async def test_the_original_is_stale_after_answering_through_the_reminder(make_bot):
    h = await make_bot(quiet_hours=None)
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin, reminder = await reminded(h, ana)
    await tap(h, ana, reminder, "3")
    await tap(h, ana, checkin, "7")  # the first message still shows the scale
    stale = await h.emu.wait_for_message(ana)
    assert stale.text.startswith("Sorry, that button is no longer active")
    cid = h.store.latest_sent_checkin(session_of(h, ana)["id"])["id"]
    assert h.store.checkin_answers(cid) == {"soreness": 3}  # the stale press changed nothing


async def test_a_reminder_is_in_spanish_with_its_buttons(make_bot):
    h = await make_bot(quiet_hours=None)
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Sí, acepto")
    await h.emu.wait_for_message(eva)
    checkin, reminder = await reminded(h, eva, "recordatorio")
    assert reminder.keyboard == checkin.keyboard and len(labels(reminder)) == 2


async def test_the_spanish_checklist_has_short_labels_and_one_tap_none(make_bot):
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Sí, acepto")
    await h.emu.wait_for_message(eva)
    checkin = await next_checkin(h, eva, 6)
    for label in ("2", "Sin moretones", "Energía normal"):
        await tap(h, eva, checkin, label)
    rows = labels(shown(h, eva, checkin))
    assert rows[0] == ["Dolor de pecho", "Me falta el aire"] and rows[-1] == ["No, ninguno de estos"]
    await tap(h, eva, shown(h, eva, checkin), "No, ninguno de estos")
    assert (await h.emu.wait_for_message(eva)).text.startswith("Gracias. Por lo que me cuentas")
