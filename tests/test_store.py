"""The store: claims are won once, a new follow-up replaces the old, erasure leaves nothing."""

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.followup.status import (
    AlertStatus,
    CheckinStatus,
    MessageKind,
    OutboxStatus,
    PatientStatus,
    SessionStatus,
)
from bot.store.database import Store
from bot.store.rows import DueAlert, DueCheckin, OutboxMessage

TOKEN = {
    "clinic_id": "harbour",
    "areas": json.dumps(["calf"]),
    "intensity": "moderate",
    "activities": "[]",
    "first_session": 1,
    "treated_at": 1000.0,
    "practitioner_id": 7,
}
SCHEDULE = [(0, 6.0, 1000.0 + 6 * 3600), (1, 24.0, 1000.0 + 24 * 3600)]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    yield store
    store.close()


def test_the_database_file_is_private(tmp_path):
    Store(tmp_path / "private.sqlite3").close()
    assert stat.S_IMODE(os.stat(tmp_path / "private.sqlite3").st_mode) == 0o600


def test_migrations_apply_once(tmp_path):
    Store(tmp_path / "db.sqlite3").close()
    again = Store(tmp_path / "db.sqlite3")
    names = [r["name"] for r in again.db["_sqlite_migrations"].rows]
    assert len(names) == len(set(names))
    assert set(names) >= {
        "m001_initial",
        "m002_outbox_photo",
        "m003_tick_indexes",
        "m004_tick_bookkeeping",
        "m005_conversation",
        "m006_erasure",
        "m007_inbox",
        "m008_tips_sent",
        "m009_patient_identity",
    }
    again.close()


def test_an_enrolment_token_is_used_once_and_only_before_it_expires(store):
    store.add_enrol_token(
        "tok", "harbour", ["calf"], "moderate", [], True, 1000.0, None, now=1000.0, expires_at=2000.0
    )
    store.add_enrol_token(
        "old", "harbour", ["calf"], "moderate", [], True, 1000.0, None, now=1000.0, expires_at=1500.0
    )
    assert store.use_enrol_token("tok", now=1200.0)
    assert not store.use_enrol_token("tok", now=1300.0)
    assert not store.use_enrol_token("old", now=1600.0)
    assert not store.use_enrol_token("nope", now=1200.0)


def test_a_due_checkin_is_queued_by_one_caller_only(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    due = store.due_checkins(now=1000.0 + 6 * 3600, limit=10)
    assert [c.idx for c in due] == [0]
    first = store.queue_checkin(due[0].id, 42, "How are you?", None, now=1.0)
    second = store.queue_checkin(due[0].id, 42, "How are you?", None, now=1.0)
    assert first is not None and second is None
    assert store.due_checkins(now=1000.0 + 6 * 3600, limit=10) == []
    assert store.outbox_row(first)["kind"] == "checkin"


def test_tips_sent_are_kept_per_follow_up_and_assessment(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    store.add_tips_sent(session, 1, ["hydration", "expect_6h"], now=1.0)
    store.add_tips_sent(session, 1, ["hydration"], now=2.0)  # the same outcome rendered again
    store.add_tips_sent(session, 2, ["topic_sleep"], now=3.0)
    store.add_tips_sent(session, 3, ["topic_sleep", "keep_moving"], now=4.0)  # the topic asked again
    assert store.tips_sent(session) == {"hydration", "expect_6h", "topic_sleep", "keep_moving"}
    assert store.tips_by_assessment(session) == {
        1: ["hydration", "expect_6h"],
        2: ["topic_sleep"],
        3: ["topic_sleep", "keep_moving"],
    }
    store.forget_tips([3])  # its answer was superseded before it went out
    assert store.tips_sent(session) == {"hydration", "expect_6h", "topic_sleep"}


def test_a_new_follow_up_replaces_the_running_one(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    old = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    new = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=2000.0)
    assert store.session(old)["status"] == "replaced"
    assert {c["status"] for c in store.checkins(old)} == {"cancelled"}
    assert store.current_session(patient)["id"] == new


def test_pause_skips_what_fell_due_and_resume_keeps_the_rest(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    assert store.pause_session(session)
    assert store.due_checkins(now=10**9, limit=10) == []
    assert store.resume_session(session, now=1000.0 + 7 * 3600)
    assert [c["status"] for c in store.checkins(session)] == ["skipped", "pending"]


def test_an_alert_round_is_claimed_once(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    assessment = store.add_assessment(
        session, None, 6.0, "contact_practitioner", ["C10"], ["Numbness"], 2, None, now=1100.0
    )
    alert = store.add_alert(session, assessment, "harbour", "contact_practitioner", now=1100.0)
    messages = [(7, "alert text", None)]
    assert store.queue_alert_round(alert, 0, 1100.0 + 1800, messages, now=1100.0)
    assert not store.queue_alert_round(alert, 0, 1100.0 + 1800, messages, now=1100.0)
    assert store.due_alerts(now=1100.0 + 1799) == []
    assert store.acknowledge_alert(alert, 7, now=1200.0)
    assert not store.acknowledge_alert(alert, 8, now=1201.0)
    assert store.due_alerts(now=10**9) == []


def test_erasing_a_patient_leaves_nothing_behind(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    store.add_answer(session, None, "text", "my calf is numb", now=1100.0)
    assessment = store.add_assessment(
        session, None, 6.0, "contact_practitioner", ["C10"], ["Numbness"], None, None, now=1100.0
    )
    alert = store.add_alert(session, assessment, "harbour", "contact_practitioner", now=1100.0)
    store.queue_alert_round(alert, 0, 5000.0, [(7, "Ana: numb calf", None)], now=1100.0)
    store.enqueue(42, "reply", "Please contact the clinic", None, now=1100.0)
    store.delete_patient(patient)
    for table in ("patients", "sessions", "checkins", "answers", "assessments", "alerts", "outbox"):
        assert store.db[table].count == 0, table


def test_a_crash_mid_send_puts_the_message_back(store):
    row = store.enqueue(42, "reply", "hello", None, now=1.0)
    assert store.claim_outbox(row)
    assert store.recover_interrupted() == 1
    assert store.claim_outbox(row)


def test_after_an_outage_only_the_latest_due_checkin_is_kept(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    back_up = 1000.0 + 25 * 3600  # both the 6 h and the 24 h check-ins fell due while down
    assert store.skip_overtaken_checkins(back_up) == 1
    assert [c["status"] for c in store.checkins(session)] == ["missed_outage", "pending"]
    assert [c.idx for c in store.due_checkins(back_up, 10)] == [1]


def test_retention_erases_finished_follow_ups_older_than_the_cutoff(store):
    old_patient = store.save_patient(41, "Old", "en", "harbour", now=1000.0)
    old = store.start_session(old_patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    store.add_answer(old, None, "text", "sore", now=1100.0)
    store.stop_session(old)
    new_patient = store.save_patient(42, "New", "en", "harbour", now=1000.0)
    running = store.start_session(new_patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    store.add_answer(running, None, "text", "fine", now=1100.0)
    assert store.purge_expired("harbour", cutoff=5000.0) == 1
    assert store.session(old) is None and store.patient(old_patient) is None
    assert store.session(running) is not None
    assert [a["value"] for a in store.session_answers(running)] == ["fine"]
    assert store.purge_expired("other", cutoff=10**12) == 0


def test_backup_is_a_consistent_private_copy(store, tmp_path):
    store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    store.backup(tmp_path / "copy.sqlite3")
    copy = Store(tmp_path / "copy.sqlite3")
    assert copy.patient_by_telegram(42)["first_name"] == "Ana"
    assert stat.S_IMODE(os.stat(tmp_path / "copy.sqlite3").st_mode) == 0o600
    copy.close()


def test_a_queued_check_in_overtaken_by_the_next_is_not_sent_late(store):
    """Telegram was down after the 6 h check-in was queued: when the 24 h one is queued, the
    stale question is recorded as missed by the outage instead of going out first."""
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    first, second = store.checkins(session)
    stale = store.queue_checkin(first["id"], 42, "6 h check-in", None, now=first["due_at"])
    fresh = store.queue_checkin(second["id"], 42, "24 h check-in", None, now=second["due_at"])
    assert store.outbox_row(stale)["status"] == "cancelled"
    assert store.outbox_row(fresh)["status"] == "pending"
    assert [c["status"] for c in store.checkins(session)] == ["missed_outage", "sent"]


# ---- transactions and durability


def _session(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    checkin = store.checkins(session)[0]
    store.queue_checkin(checkin["id"], 42, "How are you?", None, now=checkin["due_at"])
    return session, checkin["id"]


# (what is written, the writer, what another connection sees once it is committed)
WRITERS = [
    (
        "words",
        lambda s, session, checkin: s.add_answer(session, checkin, "text", "a bit sore", 2000.0),
        "SELECT COUNT(*) FROM answers",
    ),
    (
        "assessment",
        lambda s, session, checkin: s.add_assessment(
            session, checkin, 6.0, "normal", [], [], 3, None, 2000.0
        ),
        "SELECT COUNT(*) FROM assessments",
    ),
    (
        "alert",
        lambda s, session, checkin: s.add_alert(session, None, "harbour", "emergency", 2000.0),
        "SELECT COUNT(*) FROM alerts",
    ),
    (
        "check-in answered",
        lambda s, session, checkin: s.checkin_answered(checkin, 2000.0),
        "SELECT COUNT(*) FROM checkins WHERE status = 'answered'",
    ),
    (
        "reply queued",
        lambda s, session, checkin: s.enqueue(42, "reply", "Thank you", None, 2000.0, priority=0),
        "SELECT COUNT(*) FROM outbox WHERE kind = 'reply'",
    ),
]


def _seen(tmp_path, sql):
    """What a second connection (another process, or the bot after a restart) reads."""
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:
        return other.execute(sql).fetchone()[0]


@pytest.mark.parametrize("name,write,count", WRITERS, ids=[w[0] for w in WRITERS])
def test_a_write_commits_alone_or_with_the_transaction_around_it(store, tmp_path, name, write, count):
    """Alone, each write is committed at once; inside `transaction()` it is committed with the
    rest, or rolled back with it (a reply's assessment, alert and answer go together)."""
    session, checkin = _session(store)
    with pytest.raises(RuntimeError), store.transaction():
        write(store, session, checkin)
        raise RuntimeError("answering failed")
    assert _seen(tmp_path, count) == 0
    with store.transaction():
        write(store, session, checkin)
        assert _seen(tmp_path, count) == 0  # not before the transaction ends
    assert _seen(tmp_path, count) == 1


def test_a_failed_inner_transaction_undoes_only_its_own_writes(store, tmp_path):
    session, checkin = _session(store)
    with store.transaction():
        store.add_answer(session, checkin, "text", "a bit sore", 2000.0)
        with pytest.raises(RuntimeError), store.transaction():
            store.enqueue(42, "reply", "Thank you", None, 2000.0, priority=0)
            raise RuntimeError("rendering failed")
    assert _seen(tmp_path, "SELECT COUNT(*) FROM answers") == 1
    assert _seen(tmp_path, "SELECT COUNT(*) FROM outbox WHERE kind = 'reply'") == 0


def test_a_committed_write_survives_the_bot_being_killed(store, tmp_path):
    """WAL with synchronous=NORMAL: a commit is in the log before the call returns, so killing
    the process (not the machine) loses nothing committed."""
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    session, _ = _session(store)
    code = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from bot.store.database import Store
        Store({str(tmp_path / "db.sqlite3")!r}).add_answer({session}, None, "text", "my calf is numb", 2000.0)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert subprocess.run([sys.executable, "-c", code]).returncode == -signal.SIGKILL
    assert [a["value"] for a in store.session_answers(session)] == ["my calf is numb"]


def test_the_rows_handed_to_the_sender_read_as_their_types(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    due = store.due_checkins(now=1000.0 + 6 * 3600, limit=10)
    assert isinstance(due[0], DueCheckin)
    assert due[0] == (due[0].id, session, 0, 6.0, 1000.0 + 6 * 3600, None, None, 0)  # not sent yet
    assessment = store.add_assessment(
        session, None, 6.0, "emergency", ["E1"], ["Chest"], None, None, now=1100.0
    )
    alert = store.add_alert(session, assessment, "harbour", "emergency", now=1100.0)
    [due_alert] = store.due_alerts(now=1100.0)
    assert isinstance(due_alert, DueAlert)
    assert due_alert == (
        alert,
        session,
        assessment,
        "harbour",
        "emergency",
        0,
        1100.0,
    )
    row = store.enqueue(42, MessageKind.REPLY, "hello", {"inline_keyboard": []}, now=1.0, priority=0)
    claimed = store.claim_outbox(row)
    assert claimed == (row, 42, MessageKind.REPLY, "hello", {"inline_keyboard": []}, 0, 1, None, None, None)
    assert isinstance(claimed, OutboxMessage) and claimed.kind is MessageKind.REPLY


def test_every_status_the_store_writes_is_one_of_its_enum(store):
    patient = store.save_patient(42, "Ana", "en", "harbour", now=1000.0)
    old = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    session = store.start_session(patient, TOKEN, 1.0, SCHEDULE, now=1000.0)
    store.pause_session(session)
    store.resume_session(session, now=1000.0 + 7 * 3600)
    store.queue_checkin(store.due_checkins(10**9, 1)[0].id, 42, "How are you?", None, now=1000.0 + 25 * 3600)
    store.mark_missed(10**9)
    alert = store.add_alert(
        session,
        store.add_assessment(session, None, 6.0, "emergency", [], [], None, None, now=1100.0),
        "harbour",
        "emergency",
        now=1100.0,
    )
    store.queue_alert_round(alert, 0, 5000.0, [(7, "alert", None)], now=1100.0)
    store.acknowledge_alert(alert, 7, now=1200.0)
    store.complete_finished_sessions()
    store.set_patient_status(patient, PatientStatus.OPTED_OUT)
    for table, enum in (
        ("patients", PatientStatus),
        ("sessions", SessionStatus),
        ("checkins", CheckinStatus),
        ("alerts", AlertStatus),
        ("outbox", OutboxStatus),
    ):
        stored = {r[0] for r in store.db.execute(f"SELECT DISTINCT status FROM {table}").fetchall()}
        assert stored <= set(enum), (table, stored)
    assert store.session(old)["status"] == SessionStatus.REPLACED
    kinds = {r[0] for r in store.db.execute("SELECT DISTINCT kind FROM outbox").fetchall()}
    assert kinds <= set(MessageKind), kinds


def test_every_migration_function_is_registered_in_order():
    """A migration written without its decorator never runs (a merge can drop one)."""
    from bot.store import migrations

    written = [name for name in vars(migrations) if re.fullmatch(r"m\d{3}_\w+", name)]
    applied = [r["name"] for r in Store(":memory:").db["_sqlite_migrations"].rows]
    assert applied == sorted(written)
