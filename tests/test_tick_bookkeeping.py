"""The tick's bookkeeping (migration m004) changes what is read, never what is decided: after any
sequence of store writes, `open_checkins` and `settle_at` hold what their definitions say, and
mark_missed and complete_finished_sessions pick exactly the rows the full conditions pick."""

import json
import random

import pytest

from bot.store.database import Store

H = 3600.0
TOKEN = {
    "clinic_id": "harbour",
    "areas": json.dumps(["calf"]),
    "intensity": "moderate",
    "activities": "[]",
    "first_session": 1,
    "treated_at": 0.0,
    "practitioner_id": 7,
}
GONE_OUT = ("sent", "answered", "missed")

# The conditions as they were before m004, without the candidate columns: the reference.
MISSED = """SELECT id, session_id FROM checkins WHERE status = 'sent'
   AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = checkins.id) AND (
     EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
             AND later.idx > checkins.idx AND later.status IN ('sent', 'answered', 'missed'))
     OR (NOT EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                     AND later.idx > checkins.idx AND later.status IN ('pending', 'paused'))
         AND 2 * reminder_due_at - sent_at <= ?))"""
FINISHED = """SELECT id FROM sessions WHERE status = 'active' AND NOT EXISTS
   (SELECT 1 FROM checkins c WHERE c.session_id = sessions.id
    AND c.status IN ('pending', 'sending', 'paused'))"""


def check_bookkeeping(store: Store) -> None:
    rows = store._all("SELECT * FROM checkins")
    for session in store._all("SELECT id, open_checkins FROM sessions"):
        mine = [r for r in rows if r["session_id"] == session["id"]]
        assert session["open_checkins"] == sum(r["status"] in ("pending", "sending", "paused") for r in mine)
    for row in rows:
        if row["status"] != "sent":
            continue
        later = [r["status"] for r in rows if r["session_id"] == row["session_id"] and r["idx"] > row["idx"]]
        if any(s in GONE_OUT for s in later):
            expected = 0
        elif any(s in ("pending", "paused") for s in later):
            expected = None
        else:
            expected = None if row["reminder_due_at"] is None else 2 * row["reminder_due_at"] - row["sent_at"]
        assert row["settle_at"] == expected, row


def random_step(store: Store, rng: random.Random, now: float, patients: list[int]) -> None:
    sessions = [r["id"] for r in store._all("SELECT id FROM sessions WHERE status IN ('active', 'paused')")]
    sent = [r["id"] for r in store._all("SELECT id FROM checkins WHERE status = 'sent'")]
    action = rng.choice(
        [
            "start",
            "queue",
            "queue",
            "queue",
            "answer",
            "words",
            "pause",
            "resume",
            "stop",
            "drop",
            "overtaken",
            "missed",
            "complete",
            "delete",
            "remind",
        ]
    )
    if action == "start" or not sessions:
        patient = rng.choice(patients)
        hours = sorted(rng.sample([6, 24, 48, 72, 96], rng.randint(0, 4)))
        store.start_session(
            patient,
            {**TOKEN, "treated_at": now},
            1.0,
            [(i, h, now + h * H) for i, h in enumerate(hours)],
            now,
        )
    elif action == "queue":
        for due in store.due_checkins(now, 3):
            store.queue_checkin(due.id, 1, "check-in", None, now, now + rng.choice([1, 2, 30]) * H)
    elif action == "answer" and sent:
        store.checkin_answered(rng.choice(sent), now)
    elif action == "words" and sent:
        row = store.checkin(rng.choice(sent))
        store.add_answer(row["session_id"], row["id"], "soreness", 3, now)
    elif action == "pause":
        store.pause_session(rng.choice(sessions))
    elif action == "resume":
        store.resume_session(rng.choice(sessions), now)
    elif action == "stop":
        store.stop_session(rng.choice(sessions))
    elif action == "drop":
        for due in store.due_checkins(now, 1):
            store.drop_checkin(due.id)
    elif action == "overtaken":
        store.skip_overtaken_checkins(now)
    elif action == "missed":
        expected = sorted({r["session_id"] for r in store._all(MISSED, [now])})
        assert store.mark_missed(now) == expected
    elif action == "complete":
        expected = {r["id"] for r in store._all(FINISHED)}
        before = {r["id"] for r in store._all("SELECT id FROM sessions WHERE status = 'completed'")}
        store.complete_finished_sessions()
        assert {
            r["id"] for r in store._all("SELECT id FROM sessions WHERE status = 'completed'")
        } == before | expected
    elif action == "delete" and rng.random() < 0.2:
        store.delete_patient(rng.choice(patients))
    elif action == "remind" and sent:
        store.queue_reminder(rng.choice(sent), 1, "reminder", now)


@pytest.mark.parametrize("seed", range(12))
def test_random_writes_keep_the_bookkeeping_true_and_the_decisions_unchanged(tmp_path, seed):
    rng = random.Random(seed)
    store = Store(tmp_path / "db.sqlite3")
    patients = [store.save_patient(100 + i, f"P{i}", "en", "harbour", now=0.0) for i in range(4)]
    now = 1000.0
    try:
        for _ in range(150):
            random_step(store, rng, now, patients)
            check_bookkeeping(store)
            now += rng.choice([0.0, 0.5 * H, 3 * H, 20 * H])
            for patient in patients:
                if store.patient(patient) is None:
                    patients[patients.index(patient)] = store.save_patient(
                        100 + patient * 7, "Again", "en", "harbour", now
                    )
    finally:
        store.close()


def test_the_migration_fills_the_bookkeeping_in_for_an_existing_database(tmp_path):
    from sqlite_utils import Database

    from bot.store.migrations import migrations

    db = Database(tmp_path / "old.sqlite3")
    migrations.apply(db, stop_before="m003_tick_indexes")
    db["patients"].insert(
        {"id": 1, "telegram_id": 5, "first_name": "A", "clinic_id": "harbour", "status": "active"}
    )
    db["sessions"].insert({"id": 1, "patient_id": 1, "status": "active", "treated_at": 0.0})
    db["checkins"].insert_all(
        [
            {
                "id": 1,
                "session_id": 1,
                "idx": 0,
                "due_at": 6 * H,
                "status": "sent",
                "sent_at": 6 * H,
                "reminder_due_at": 8 * H,
            },
            {
                "id": 2,
                "session_id": 1,
                "idx": 1,
                "due_at": 24 * H,
                "status": "sent",
                "sent_at": 24 * H,
                "reminder_due_at": 26 * H,
            },
            {"id": 3, "session_id": 1, "idx": 2, "due_at": 48 * H, "status": "pending"},
        ]
    )
    db.close()
    store = Store(tmp_path / "old.sqlite3")
    try:
        assert store.session(1)["open_checkins"] == 1
        assert [store.checkin(i)["settle_at"] for i in (1, 2, 3)] == [0, None, None]
        check_bookkeeping(store)
    finally:
        store.close()
