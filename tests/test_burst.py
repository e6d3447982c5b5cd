"""Many check-ins due at the same minute: Telegram's limits are respected (no 429 at all) and a
patient talking to the bot meanwhile is answered ahead of the queue, an emergency at once."""

import json
import time

import pytest

from .test_patient_journey import until

pytestmark = pytest.mark.drill  # 150 check-ins at Telegram's real pace: about 6 s each

PATIENTS = 150


def seed_due_checkins(h, users, now):
    """Sessions whose 6 h check-in is due now, as if booked together that morning."""
    token = {
        "clinic_id": h.clinic.id,
        "areas": json.dumps(["calf"]),
        "intensity": "moderate",
        "activities": "[]",
        "first_session": 1,
        "treated_at": now - 6 * 3600,
        "practitioner_id": h.practitioner.id,
    }
    for user in users:
        patient = h.store.save_patient(user.id, user.first_name, "en", h.clinic.id, now)
        h.store.start_session(patient, token, 1.0, [(0, 6.0, now), (1, 24.0, now + 18 * 3600)], now)


async def test_a_burst_of_due_check_ins_draws_no_429_and_replies_go_first(make_bot):
    h = await make_bot(real_time=True, quiet_hours=None)
    users = [h.emu.add_user(f"P{i}") for i in range(PATIENTS)]
    zoe = h.emu.add_user("Zoe")
    seed_due_checkins(h, [*users, zoe], time.time())

    await until(lambda: len(h.emu.messages_to(users[PATIENTS // 5])) == 1, timeout=30)
    await h.emu.send_text(zoe, "my fingers are numb")
    await until(lambda: any("Please contact" in m.text for m in h.emu.messages_to(zoe)), timeout=30)
    await until(lambda: all(h.emu.messages_to(u) for u in users), timeout=60)

    assert [len(h.emu.messages_to(u)) for u in users] == [1] * PATIENTS
    sends = [c for c in h.emu.calls if c.method == "sendMessage" and c.status == 200]
    reply_at = next(i for i, c in enumerate(sends) if "Please contact" in str(c.params.get("text")))
    checkins_after_reply = sum(
        1 for c in sends[reply_at:] if "hours since your session" in str(c.params.get("text"))
    )
    assert checkins_after_reply > PATIENTS // 2, "the reply waited behind the scheduled check-ins"
    assert not [v for v in h.emu.violations if "429" in str(v)]


async def test_an_emergency_during_a_burst_reaches_a_patient_who_just_used_the_chats_burst(make_bot):
    """Zoe's check-in and the answers to her three quick messages leave one send of her chat's
    allowance: it is kept for the emergency answer, which takes the next slot of the burst."""
    h = await make_bot(real_time=True, quiet_hours=None)
    zoe = h.emu.add_user("Zoe")
    users = [h.emu.add_user(f"P{i}") for i in range(PATIENTS)]
    seed_due_checkins(h, [zoe, *users], time.time())
    await until(lambda: h.emu.messages_to(zoe), timeout=30)
    for text in ("a bit sore today", "still a bit sore", "ok"):
        await h.emu.send_text(zoe, text)
    written = time.monotonic()
    await h.emu.send_text(zoe, "now I have chest pain and I can't breathe")
    await until(lambda: any(m.text.startswith("Call 999 now") for m in h.emu.messages_to(zoe)), timeout=10)
    assert time.monotonic() - written < 1.0
    assert sum(1 for u in users if h.emu.messages_to(u)) < PATIENTS  # the burst was still going out
    await until(lambda: all(h.emu.messages_to(u) for u in users), timeout=60)
    assert not [v for v in h.emu.violations if "429" in str(v)]
