"""Escalation that fits the severity, and staff who can be reached (issue 13, points 4 and 6): the
real Application against the emulator, Telegram's limits on, the tick driven on a fake clock."""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.reachability import check_reach

from .harness import START
from .test_patient_journey import consent, write
from .test_staff_telegram import open_alert, press

LONDON = ZoneInfo("Europe/London")
MINUTE = 60
WEEKDAYS = {"mon-fri": "08:00-18:00"}
MONDAY_22 = datetime(2026, 11, 23, 22, 0, tzinfo=LONDON).timestamp()
TUESDAY_8 = datetime(2026, 11, 24, 8, 0, tzinfo=LONDON).timestamp()
REMINDER = "Reminder: not acknowledged yet."
STILL = "Still unacknowledged after"
REVIEW = "Needs review today"


def alerts_to(h, user, marker):
    """The alert texts a staff member holds that contain `marker` (a bucket label, a name)."""
    return [m.text for m in h.emu.messages_to(user) if marker in m.text]


async def tick_at(h, at):
    """Tick at `at`, then let what is left in the outbox go as time passes: a send that timed out
    on a busy machine waits for its retry time, which only a tick after it sends."""
    h.clock.time = max(h.clock.time, at)
    await h.tick()
    deadline = time.monotonic() + 30  # a first round draws the soreness chart: slow on a busy machine
    while h.store.unsent() and time.monotonic() < deadline:
        retry = h.store.db.execute("SELECT MIN(due_at) FROM outbox WHERE status = 'pending'").fetchone()[0]
        if retry is not None and retry > h.clock.time:
            h.clock.time = retry
        # Every pass ticks: an edit queued for the tick (a copy that reached Telegram after its alert
        # was taken) goes out only with one.
        await h.tick()
        await asyncio.sleep(0.02)
    await h.idle()


async def test_out_of_hours_a_contact_alert_waits_for_opening_while_an_emergency_is_resent_every_5_minutes(
    make_bot,
):
    h = await make_bot(opening_hours=WEEKDAYS, out_of_hours_phone="111", alert_renotify_after="30m")
    dana, sam = h.practitioner, h.admin
    h.clock.time = MONDAY_22
    contact, _ = await open_alert(h, patient_name="Ana")  # numbness: contact, not same-day
    emergency, _ = await open_alert(h, bucket="emergency", patient_name="Ben")
    await tick_at(h, MONDAY_22)
    assert len(alerts_to(h, dana, REVIEW)) == 1  # sent at once, day or night
    assert len(alerts_to(h, dana, "EMERGENCY")) == 1
    assert h.store.alert(contact)["next_notify_at"] == TUESDAY_8

    await tick_at(h, MONDAY_22 + 5 * MINUTE - 1)
    assert len(alerts_to(h, sam, "EMERGENCY")) == 0
    await tick_at(h, MONDAY_22 + 5 * MINUTE)  # down the rota: the next staff member
    assert [t.startswith(REMINDER) for t in alerts_to(h, sam, "EMERGENCY")] == [True]
    await tick_at(h, MONDAY_22 + 10 * MINUTE)  # everyone has been told: now everyone, each round
    await tick_at(h, MONDAY_22 + 15 * MINUTE)
    assert (len(alerts_to(h, dana, "EMERGENCY")), len(alerts_to(h, sam, "EMERGENCY"))) == (3, 3)
    assert alerts_to(h, sam, REVIEW) == []  # the contact alert waits for the morning

    last = [m for m in h.emu.messages_to(sam) if "EMERGENCY" in m.text][-1]
    await press(h.emu, sam, last, text="I'm handling it")
    await tick_at(h, h.clock.time)  # a copy in flight at the press is edited by the tick
    await tick_at(h, TUESDAY_8 - 1)
    assert len(alerts_to(h, dana, "EMERGENCY")) == 3 and alerts_to(h, sam, REVIEW) == []
    await tick_at(h, TUESDAY_8)
    [reminder] = alerts_to(h, sam, REVIEW)
    assert reminder.startswith(REMINDER)
    assert len(alerts_to(h, dana, "EMERGENCY")) == 3  # acknowledged: no more rounds
    assert h.store.alert(contact)["next_notify_at"] == TUESDAY_8 + 30 * MINUTE  # open: every 30 min
    assert h.store.alert(emergency)["status"] == "acknowledged"


async def test_contact_alerts_stop_after_max_alert_rounds_and_the_admins_are_told_once(make_bot):
    h = await make_bot(max_alert_rounds=3, alert_renotify_after="30m")
    dana, sam = h.practitioner, h.admin
    alert, _ = await open_alert(h, patient_name="Ana")
    for round_ in range(3):  # Dana, Sam, Dana
        await tick_at(h, START + round_ * 30 * MINUTE)
    assert (len(alerts_to(h, dana, REVIEW)), len(alerts_to(h, sam, REVIEW))) == (2, 1)
    await tick_at(h, START + 90 * MINUTE)
    [still] = alerts_to(h, sam, STILL)
    assert still.startswith("⚠️ Still unacknowledged after 3 rounds: nobody has taken this alert.")
    assert REVIEW in still  # with the alert itself, and its button
    for hours in range(1, 25):
        await tick_at(h, START + 90 * MINUTE + hours * 3600)
    assert len(alerts_to(h, sam, STILL)) == 1 and alerts_to(h, dana, STILL) == []
    assert (len(alerts_to(h, dana, REVIEW)), len(alerts_to(h, sam, REVIEW))) == (2, 2)
    message = [m for m in h.emu.messages_to(sam) if STILL in m.text][0]
    await press(h.emu, sam, message, text="I'm handling it")
    await tick_at(h, h.clock.time)  # a copy in flight at the press is edited by the tick
    assert h.store.alert(alert)["acknowledged_by"] == sam.id


async def test_out_of_hours_a_same_day_rule_pages_the_rota_and_the_patient_learns_when_the_clinic_opens(
    make_bot,
):
    h = await make_bot(opening_hours=WEEKDAYS, out_of_hours_phone="111", alert_renotify_after="30m")
    ana, ben, cy = h.emu.add_user("Ana"), h.emu.add_user("Ben"), h.emu.add_user("Cy")
    for patient in (ana, ben, cy):
        await consent(h, patient)
    h.clock.time = MONDAY_22
    fever = await write(h, ana, "I have a fever and chills")  # C9: the clinic is needed today
    assert fever.text.startswith(
        "Harbour Physio is closed now and opens tomorrow at 08:00. "
        "Please contact them then, or call 111 if you can't wait."
    )
    assert "today on +44 20 7946 0000" not in fever.text
    numb = await write(h, ben, "my fingers are numb")  # C10: contact, waits for the morning
    assert "opens tomorrow at 08:00" in numb.text and "call 111" in numb.text
    scared = await write(h, cy, "I'm scared, something's not right")  # U3: its own reply, and the note
    assert scared.text.startswith("I'm sorry you're feeling like this")
    assert "The clinic is closed now and opens tomorrow at 08:00. Until then, call 111." in scared.text
    await tick_at(h, h.clock.time)
    await tick_at(h, h.clock.time + 30 * MINUTE)
    assert [t.startswith(REMINDER) for t in alerts_to(h, h.admin, "Ana")] == [True]  # paged at night
    assert alerts_to(h, h.admin, "Ben") == [] and alerts_to(h, h.admin, "Cy") == []

    h.clock.time = datetime(2026, 11, 24, 9, 0, tzinfo=LONDON).timestamp()  # open: "today" again
    await h.emu.send_text(ana, "my fingers are numb")
    open_hours = await h.emu.wait_for_message(ana, lambda m: "What you told me" in m.text)
    assert open_hours.text.startswith("Please contact Harbour Physio today on +44 20 7946 0000.")


async def test_whoami_answers_anyone_in_private_and_in_a_group(make_bot):
    h = await make_bot()
    stranger = h.emu.add_user("Zoe", language_code="es")
    await h.emu.send_text(stranger, "/whoami")
    private = await h.emu.wait_for_message(stranger)
    assert private.text.startswith(f"Tu id de Telegram es {stranger.id}.")
    group = h.emu.add_group("Harbour on call", members=(h.practitioner, stranger))
    await h.emu.send_text(h.practitioner, "/whoami", chat=group)
    answer = await h.emu.wait_for_message(group)
    assert answer.text.startswith(
        f"Your Telegram id is {h.practitioner.id}, and this group's chat id is {group.id}."
    )
    assert "clinic's admin" in answer.text
    patient = h.emu.add_user("Ana")
    await consent(h, patient)
    await h.emu.send_text(patient, "/whoami")
    mine = await h.emu.wait_for_message(patient, lambda m: "Telegram id" in m.text)
    assert mine.text.startswith(f"Your Telegram id is {patient.id}.")


async def test_a_staff_member_who_never_pressed_start_is_reported_at_start_and_skipped(make_bot):
    h = await make_bot(unstarted_practitioner=True, alert_renotify_after="30m", max_alert_rounds=8)
    dana, lee, sam = h.practitioner, h.unstarted, h.admin
    h.emu.allow_violations("can't initiate conversation")  # the probe finds what it is for
    refused = await check_reach(h.services)  # the "reach" job, first run at start
    assert refused == {lee.id: "Forbidden: bot can't initiate conversation with a user"}
    await tick_at(h, h.clock.time)
    [report] = h.emu.messages_to(sam)
    assert report.text.startswith("⚠️ I can't reach these on Telegram, so alerts skip them:")
    assert f"• Lee Kim ({lee.id}): Forbidden: bot can't initiate conversation with a user" in report.text
    assert "Dana" not in report.text

    await open_alert(h, patient_name="Ana")
    await tick_at(h, h.clock.time)
    await tick_at(h, h.clock.time + 30 * MINUTE)  # round 1: Lee is next on the list, so Sam
    assert (len(alerts_to(h, dana, REVIEW)), len(alerts_to(h, sam, REVIEW))) == (1, 1)
    assert h.emu.messages_to(lee) == []
    assert not [c for c in h.emu.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == lee.id]

    await h.emu.send_text(lee, "/start")  # Lee opens the bot: reachable again at once
    await h.emu.wait_for_message(lee)
    for _ in range(3):  # rounds 2-4 cycle through everyone, Lee included now
        await tick_at(h, h.clock.time + 30 * MINUTE)
    assert len(alerts_to(h, lee, REVIEW)) == 1


def test_the_reach_check_runs_at_start_and_daily(tmp_path):
    from bot.guidance.config import load_config
    from bot.guidance.loader import load_all_guidance
    from bot.store.database import Store
    from bot.telegram.app import REACH_AFTER_START, REACH_SECONDS, build_application

    from .harness import write_config

    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/bot", [(101, "Dana", "practitioner")]))
    store = Store(tmp_path / "db.sqlite3")
    app = build_application(config, store, load_all_guidance(config), "123:TOKEN")
    [job] = [j for j in app.job_queue.scheduler.get_jobs() if j.name == "reach"]
    assert job.trigger.interval.total_seconds() == REACH_SECONDS == 24 * 3600
    assert job.args[1].callback.__name__ == "_reach"
    first = job.trigger.start_date.timestamp() - time.time()
    assert REACH_AFTER_START - 60 < first <= REACH_AFTER_START <= 60  # first run: a moment after start
    store.close()


async def test_a_staff_member_who_blocks_the_bot_is_left_out_after_the_first_refusal(make_bot):
    h = await make_bot(alert_renotify_after="30m", max_alert_rounds=8)
    dana, sam = h.practitioner, h.admin
    h.emu.block(sam)
    h.emu.allow_violations("blocked by the user")
    await open_alert(h, patient_name="Ana")
    await tick_at(h, h.clock.time)  # round 0: Dana
    await tick_at(h, h.clock.time + 30 * MINUTE)  # round 1: Sam, whom Telegram refuses
    assert h.store.unreachable_chats() == {sam.id}
    refusals = [c for c in h.emu.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == sam.id]
    for _ in range(3):
        await tick_at(h, h.clock.time + 30 * MINUTE)  # Dana alone from now on
    assert len(alerts_to(h, dana, REVIEW)) == 4
    assert [
        c for c in h.emu.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == sam.id
    ] == refusals


def test_the_admins_note_names_staff_and_the_alert_chat_and_nothing_else(tmp_path, guidance):
    from bot.guidance.config import load_config
    from bot.render.html import plain
    from bot.render.reach import unreachable_report

    from .harness import write_config

    staff = [(101, "Dana <Reyes>", "practitioner"), (201, "Sam", "admin")]
    path = write_config(tmp_path, "http://127.0.0.1:9/bot", staff, alert_chat_id=-900, language="es")
    clinic = load_config(path).clinics[0]
    assert unreachable_report(guidance, clinic, {}) is None
    text = unreachable_report(guidance, clinic, {-900: "Bad Request: chat not found", 101: "Forbidden: x"})
    assert "• Dana &lt;Reyes&gt; (101): Forbidden: x\n• El chat de alertas de la clínica (-900): " in text
    assert plain(text).startswith("⚠️ No puedo llegar a estos contactos por Telegram")
