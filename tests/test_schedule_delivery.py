"""Time in the running bot, on a fake clock: quiet hours, reminders, missed check-ins,
downtime and pause, as the patient and the clinic see them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .harness import START
from .test_patient_journey import consent, session_of, tap, write

LONDON = ZoneInfo("Europe/London")
HOUR = 3600


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, LONDON)


async def enrolled(h, name="Ana", **enrol):
    user = h.emu.add_user(name)
    await consent(h, user, **enrol)
    return user, session_of(h, user)


async def run_until(h, timestamp: float, step: float = 600):
    """Let fake time pass in steps, ticking as the bot's job would."""
    while h.clock() < timestamp:
        h.clock.time = min(timestamp, h.clock() + step)
        await h.tick()
    await h.settle()


def checkins_to(h, user):
    return [m for m in h.emu.messages_to(user) if "hours since your session" in m.text]


async def test_check_ins_in_quiet_hours_wait_until_morning(make_bot):
    # Treated at 16:00: 6 h is 22:00, in quiet hours (21:00-08:00), so it waits until 08:00.
    h = await make_bot()
    h.clock.time = datetime(2026, 11, 23, 16, 0, tzinfo=LONDON).timestamp()
    ana, session = await enrolled(h)
    due = [local(c["due_at"]).strftime("%a %H:%M") for c in h.store.checkins(session["id"])]
    assert due == ["Tue 08:00", "Tue 16:00", "Wed 16:00", "Thu 16:00"]
    await run_until(h, datetime(2026, 11, 24, 7, 59, tzinfo=LONDON).timestamp())
    assert checkins_to(h, ana) == []
    await run_until(h, datetime(2026, 11, 24, 8, 0, tzinfo=LONDON).timestamp())
    assert len(checkins_to(h, ana)) == 1


async def test_a_check_in_held_back_by_quiet_hours_says_the_time_really_passed(make_bot):
    # Treated at 16:30: the 6-h check-in (22:30) waits until 08:00, 15.5 h after the session. It
    # asks the 6-h questions but says the true time, and its edits and reminder keep saying it.
    h = await make_bot(reminder_after="2h")
    h.clock.time = datetime(2026, 11, 23, 16, 30, tzinfo=LONDON).timestamp()
    ana, session = await enrolled(h)
    await run_until(h, datetime(2026, 11, 24, 8, 0, tzinfo=LONDON).timestamp())
    [checkin] = checkins_to(h, ana)
    assert checkin.text.startswith("Hi Ana, it's about 16 hours since your session")
    assert [c["hours"] for c in h.store.checkins(session["id"]) if c["status"] == "sent"] == [6.0]
    await run_until(h, datetime(2026, 11, 24, 10, 0, tzinfo=LONDON).timestamp())
    [reminder] = [m for m in h.emu.messages_to(ana) if "gentle reminder" in m.text.lower()]
    assert "the check-in I sent you today at 08:00 is still waiting" in reminder.text
    await tap(h, ana, checkin, "3")  # answered two hours on, the message still says what it said
    assert checkin.edit_date and checkin.text.startswith("Hi Ana, it's about 16 hours")
    await write(h, ana, "/status")
    assert "16 h: 3/10" in h.emu.messages_to(ana)[-1].text  # /status names it the same way


async def test_a_check_in_that_would_wait_past_the_next_is_absorbed(make_bot):
    # Check-ins 1 h apart; treated at 20:30: 21:30 and 22:30 fall in quiet hours and would both
    # wait until 08:00, so the first is absorbed by the second. The last (22:30 next day) waits
    # until the morning after: nothing comes after it to absorb it.
    h = await make_bot(checkins=["1h", "2h", "26h"], reminder_after="30m")
    h.clock.time = datetime(2026, 11, 23, 20, 30, tzinfo=LONDON).timestamp()
    ana, session = await enrolled(h)
    assert [(c["hours"], local(c["due_at"]).strftime("%H:%M")) for c in h.store.checkins(session["id"])] == [
        (2.0, "08:00"),
        (26.0, "08:00"),
    ]


async def test_the_schedule_follows_the_clinic_clock_across_a_dst_change(make_bot):
    # Treated Saturday 28 March 2026, 19:00 GMT; the clocks go forward that night. The 24 h
    # check-in (Sunday 20:00 BST, in real time 24 h later) is not in quiet hours; the 6 h one
    # (01:00 BST) waits until 08:00 BST, i.e. 07:00 UTC.
    h = await make_bot()
    h.clock.time = datetime(2026, 3, 28, 19, 0, tzinfo=LONDON).timestamp()
    ana, session = await enrolled(h)
    due = [local(c["due_at"]) for c in h.store.checkins(session["id"])]
    assert [d.strftime("%d %H:%M %Z") for d in due[:2]] == ["29 08:00 BST", "29 20:00 BST"]
    assert due[1].timestamp() - h.clock() == pytest.approx(24 * HOUR, abs=5)


async def test_an_unanswered_check_in_gets_one_reminder_then_is_missed(make_bot):
    h = await make_bot(quiet_hours=None, missed_alert_after=2)
    ana, session = await enrolled(h)
    treated = session["treated_at"]
    await run_until(h, treated + 6 * HOUR)
    assert len(checkins_to(h, ana)) == 1
    await run_until(h, treated + 8 * HOUR - 60)
    assert not any("reminder" in m.text.lower() for m in h.emu.messages_to(ana))
    await run_until(h, treated + 9 * HOUR)
    reminders = [m for m in h.emu.messages_to(ana) if "gentle reminder" in m.text.lower()]
    sent = local(treated + 6 * HOUR).strftime("today at %H:%M")
    assert len(reminders) == 1 and f"the check-in I sent you {sent} is" in reminders[0].text
    await run_until(h, treated + 23 * HOUR)
    assert len([m for m in h.emu.messages_to(ana) if "gentle reminder" in m.text.lower()]) == 1
    await run_until(h, treated + 24 * HOUR)
    assert [c["status"] for c in h.store.checkins(session["id"])][:2] == ["missed", "sent"]
    assert h.emu.messages_to(h.practitioner) == []  # one missed is not yet a worry


async def test_two_missed_in_a_row_tell_the_clinic_once(make_bot):
    h = await make_bot(quiet_hours=None, missed_alert_after=2)
    ana, session = await enrolled(h)
    treated = session["treated_at"]
    await run_until(h, treated + 48 * HOUR)
    told = [m.text for m in h.emu.messages_to(h.practitioner)]
    assert told == [
        "Ana has not answered recent check-ins (missed in a row: 2). You may want to contact them."
    ]
    assert any(m.text.startswith("I didn't hear back") for m in h.emu.messages_to(ana))
    await run_until(h, treated + 80 * HOUR)  # a third and fourth missed: no more messages
    assert len(h.emu.messages_to(h.practitioner)) == 1
    assert [c["status"] for c in h.store.checkins(session["id"])] == ["missed"] * 4


async def test_an_answer_breaks_the_run_of_missed_check_ins(make_bot):
    h = await make_bot(quiet_hours=None, missed_alert_after=2)
    ana, session = await enrolled(h)
    treated = session["treated_at"]
    await run_until(h, treated + 24 * HOUR)
    await write(h, ana, "all fine, about a 2")
    await run_until(h, treated + 72 * HOUR)
    assert [c["status"] for c in h.store.checkins(session["id"])][:3] == ["missed", "answered", "missed"]
    assert h.emu.messages_to(h.practitioner) == []


async def test_after_downtime_only_the_check_in_still_useful_is_sent(make_bot):
    h = await make_bot(quiet_hours=None)
    ana, session = await enrolled(h)
    h.clock.time = session["treated_at"] + 30 * HOUR  # the bot was down from before 6 h to 30 h
    report = await h.tick()
    await h.settle()
    assert (report.missed_by_outage, report.checkins_queued) == (1, 1)
    [checkin] = checkins_to(h, ana)
    assert "about 30 hours since your session" in checkin.text  # the 24-h check-in, sent at 30 h
    assert [c["status"] for c in h.store.checkins(session["id"])][:2] == ["missed_outage", "sent"]


async def test_paused_check_ins_are_not_sent_and_resume_skips_the_stale_one(make_bot):
    h = await make_bot(quiet_hours=None)
    ana, session = await enrolled(h)
    treated = session["treated_at"]
    await write(h, ana, "/pause")
    await run_until(h, treated + 30 * HOUR)
    assert checkins_to(h, ana) == []
    await write(h, ana, "/resume")
    await run_until(h, treated + 48 * HOUR)
    assert [c["status"] for c in h.store.checkins(session["id"])][:3] == ["skipped", "skipped", "sent"]
    assert len(checkins_to(h, ana)) == 1


def test_harness_starts_on_a_weekday_morning():
    assert local(START).strftime("%a %H:%M") == "Mon 10:00"


async def test_a_check_in_being_answered_is_neither_reminded_nor_missed(make_bot):
    h = await make_bot(quiet_hours=None)
    ana, session = await enrolled(h)
    treated = session["treated_at"]
    await run_until(h, treated + 6 * HOUR)
    [checkin] = checkins_to(h, ana)
    await tap(h, ana, checkin, "3")  # the first question answered, then the patient got distracted
    await run_until(h, treated + 24 * HOUR)
    assert not any("gentle reminder" in m.text.lower() for m in h.emu.messages_to(ana))
    assert h.store.checkins(session["id"])[0]["status"] == "sent"
