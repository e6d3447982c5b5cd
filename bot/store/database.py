"""SQLite through sqlite-utils: the only module that speaks SQL.

The database is the source of truth for time: every check-in, alert and outgoing message is a
row with a `due_at` and a `status`, and a sender claims a row with a conditional UPDATE, so only
the caller that changed the row sends it. Times are Unix seconds (float, UTC). Statements are
short and run on the event loop's thread (sqlite-utils connections are single-threaded).
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.render.html import neutral

migrations = Migrations("aftercare")


@migrations()
def m001_initial(db: Database) -> None:
    db["enrol_tokens"].create(
        {"token": str, "clinic_id": str, "areas": str, "intensity": str, "activities": str, "first_session": int,
         "treated_at": float, "practitioner_id": int, "created_at": float, "expires_at": float, "used_at": float},
        pk="token", not_null={"clinic_id", "areas", "treated_at", "created_at", "expires_at"},
    )
    db["patients"].create(
        {"id": int, "telegram_id": int, "first_name": str, "language": str, "clinic_id": str, "status": str, "created_at": float},
        pk="id", not_null={"telegram_id", "clinic_id", "status"},
    )
    db["patients"].create_index(["telegram_id"], unique=True)
    db["sessions"].create(
        {"id": int, "patient_id": int, "clinic_id": str, "areas": str, "intensity": str, "activities": str,
         "first_session": int, "treated_at": float, "practitioner_id": int, "clock_speed": float,
         "status": str, "created_at": float},
        pk="id", foreign_keys=[("patient_id", "patients", "id")], not_null={"patient_id", "status", "treated_at"},
    )
    db["sessions"].create_index(["patient_id", "status"])
    db["checkins"].create(
        {"id": int, "session_id": int, "idx": int, "hours": float, "due_at": float, "status": str,
         "sent_at": float, "message_id": int, "answered_at": float, "reminder_due_at": float, "reminded_at": float},
        pk="id", foreign_keys=[("session_id", "sessions", "id")], not_null={"session_id", "due_at", "status"},
    )
    db["checkins"].create_index(["status", "due_at"])
    db["checkins"].create_index(["session_id"])
    db["answers"].create(
        {"id": int, "session_id": int, "checkin_id": int, "question_id": str, "value": str, "received_at": float},
        pk="id", foreign_keys=[("session_id", "sessions", "id")], not_null={"session_id", "question_id", "received_at"},
    )
    db["answers"].create_index(["session_id"])
    db["assessments"].create(
        {"id": int, "session_id": int, "checkin_id": int, "hours": float, "bucket": str, "rules": str,
         "reasons": str, "soreness": int, "trend": str, "created_at": float},
        pk="id", foreign_keys=[("session_id", "sessions", "id")], not_null={"session_id", "bucket", "created_at"},
    )
    db["assessments"].create_index(["session_id"])
    db["alerts"].create(
        {"id": int, "session_id": int, "assessment_id": int, "clinic_id": str, "bucket": str, "status": str,
         "created_at": float, "notify_count": int, "next_notify_at": float, "acknowledged_by": int,
         "acknowledged_at": float},
        pk="id", foreign_keys=[("session_id", "sessions", "id")], not_null={"session_id", "clinic_id", "status"},
    )
    db["alerts"].create_index(["status", "next_notify_at"])
    db["outbox"].create(
        {"id": int, "chat_id": int, "kind": str, "ref_id": int, "text": str, "markup": str, "priority": int,
         "due_at": float, "status": str, "attempts": int, "last_error": str, "created_at": float,
         "sent_at": float, "message_id": int, "edit_message_id": int},
        pk="id", not_null={"chat_id", "kind", "text", "due_at", "status"},
    )
    db["outbox"].create_index(["status", "priority", "due_at"])
    db["outbox"].create_index(["kind", "ref_id"])


@migrations()
def m002_outbox_photo(db: Database) -> None:
    """A message may carry a picture (the enrolment QR code), sent with its text as caption."""
    db["outbox"].add_column("photo", bytes)


@migrations()
def m003_tick_indexes(db: Database) -> None:
    """The tick runs every second: what it reads must not grow with the history kept
    (bench/scale.py). Answers by check-in (mark_missed and due_reminders skip a check-in being
    answered; without this each sent check-in read every answer ever given), and the sent,
    unreminded check-ins by reminder time."""
    db["answers"].create_index(["checkin_id"])
    # (status, ...) and partial: small, and preferred by the planner to idx_checkins_status_due_at.
    db.execute("CREATE INDEX idx_checkins_reminder_due ON checkins (status, reminder_due_at) WHERE status = 'sent' AND reminded_at IS NULL")


_OPEN = "('pending', 'sending', 'paused')"
_TICK_TRIGGERS = """
CREATE TRIGGER checkins_tick_{name} AFTER {event} ON checkins {when} BEGIN
  UPDATE sessions SET open_checkins = (SELECT COUNT(*) FROM checkins c WHERE c.session_id = sessions.id AND c.status IN {open})
    WHERE id = {row}.session_id;
  UPDATE checkins SET settle_at = CASE
      WHEN EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id AND later.idx > checkins.idx
                   AND later.status IN ('sent', 'answered', 'missed')) THEN 0
      WHEN EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id AND later.idx > checkins.idx
                   AND later.status IN ('pending', 'paused')) THEN NULL
      ELSE 2 * reminder_due_at - sent_at END
    WHERE session_id = {row}.session_id AND idx <= {row}.idx AND status = 'sent';
END"""


@migrations()
def m004_tick_bookkeeping(db: Database) -> None:
    """Keep the tick's work proportional to what falls due, not to the follow-ups running (with
    40,000 running, complete_finished_sessions and mark_missed read them all every second).
    Triggers keep two columns true whatever writes the check-ins: `sessions.open_checkins`,
    how many of its check-ins are pending, sending or paused; and `checkins.settle_at`, for a
    sent check-in, the earliest time mark_missed can find it missed (0 once a later one has gone
    out; NULL while a later one is pending or paused; else its deadline, twice the reminder delay
    after it was sent). Both queries keep their full conditions and use these columns only to
    find candidates through an index. Rebuilding the checkins table (sqlite-utils `transform`)
    drops its triggers: a migration doing so must create them again."""
    db.execute("ALTER TABLE sessions ADD COLUMN open_checkins INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE checkins ADD COLUMN settle_at REAL")
    db.execute("CREATE INDEX idx_sessions_status_open_checkins ON sessions (status, open_checkins)")
    db.execute("CREATE INDEX idx_checkins_settle_at ON checkins (status, settle_at) WHERE status = 'sent'")
    for name, event, when, row in (
        ("insert", "INSERT", "", "NEW"),
        ("delete", "DELETE", "", "OLD"),
        ("update", "UPDATE OF status, sent_at, reminder_due_at, idx, session_id", "", "NEW"),
        ("moved", "UPDATE OF idx, session_id", "WHEN OLD.session_id IS NOT NEW.session_id OR OLD.idx IS NOT NEW.idx", "OLD"),
    ):
        db.execute(_TICK_TRIGGERS.format(name=name, event=event, when=when, row=row, open=_OPEN))
    db.execute(f"UPDATE sessions SET open_checkins = (SELECT COUNT(*) FROM checkins c WHERE c.session_id = sessions.id AND c.status IN {_OPEN})")
    db.execute("UPDATE checkins SET reminder_due_at = reminder_due_at WHERE status = 'sent'")  # fires the trigger: settle_at


@migrations()
def m005_conversation(db: Database) -> None:
    """Every input of the patient is read (issue 10). Words and assessments remember the
    patient's Telegram message they came from, so an edit is judged against what that message
    was already judged. A photo is kept as Telegram's file_id, never its bytes, with the
    follow-up and check-in it came in, and the alert it was forwarded with. A tombstone keeps
    only which clinic a chat last belonged to, after /stop and /delete, so a red flag written
    later still gets that clinic's emergency number."""
    db.execute("ALTER TABLE answers ADD COLUMN message_id INTEGER")
    db.execute("ALTER TABLE assessments ADD COLUMN message_id INTEGER")
    db.execute("CREATE INDEX idx_assessments_message ON assessments (session_id, message_id) WHERE message_id IS NOT NULL")
    db["photos"].create(
        {"id": int, "session_id": int, "checkin_id": int, "message_id": int, "file_id": str, "received_at": float,
         "alert_id": int},
        pk="id", foreign_keys=[("session_id", "sessions", "id")], not_null={"session_id", "file_id", "received_at"},
    )
    db["photos"].create_index(["session_id"])
    # A newer message supersedes the chat's waiting answers: found without reading the queue.
    db.execute("CREATE INDEX idx_outbox_chat_waiting ON outbox (chat_id, kind) WHERE status IN ('pending', 'sending')")
    db["tombstones"].create({"telegram_id": int, "clinic_id": str}, pk="telegram_id", not_null={"clinic_id"})
    db.execute("INSERT INTO tombstones (telegram_id, clinic_id) SELECT telegram_id, clinic_id FROM patients")


@migrations()
def m006_erasure(db: Database) -> None:
    """Erasure finds every copy (issue 12): an outgoing message about one patient (an alert, its
    chart and photos, an acknowledgement, a notice or view sent to staff) names them in
    `outbox.patient_id`, and an enrolment link names the follow-up it started. Indexes find a
    patient's messages without reading the whole outbox, which keeps the retention period's."""
    db.execute("ALTER TABLE outbox ADD COLUMN patient_id INTEGER")
    db.execute("CREATE INDEX idx_outbox_patient ON outbox (patient_id) WHERE patient_id IS NOT NULL")
    db.execute("CREATE INDEX idx_outbox_chat ON outbox (chat_id)")
    db.execute("CREATE INDEX idx_alerts_session ON alerts (session_id)")
    db.execute("ALTER TABLE enrol_tokens ADD COLUMN session_id INTEGER")
    db.execute("CREATE INDEX idx_enrol_tokens_session ON enrol_tokens (session_id) "
               "WHERE session_id IS NOT NULL")
    db.execute(f"""UPDATE outbox SET patient_id = (SELECT s.patient_id FROM alerts a
                     JOIN sessions s ON s.id = a.session_id WHERE a.id = outbox.ref_id)
                   WHERE kind IN ({ALERT_KINDS})""")


@migrations()
def m007_inbox(db: Database) -> None:
    """Transactional intake (issue 12): each update Telegram hands over is stored here, as its
    raw JSON, before its offset is confirmed, handled from here after a crash, and emptied once
    handled. An emptied row (no body, no sender) stays a day, Telegram's own retention for
    unconfirmed updates, so an update Telegram sends again is recognised as handled."""
    # No index but the key: the table holds a day of updates at most, read whole by the daily
    # prune and by an erasure, and each index would add to every update's two writes.
    db.execute("""CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, telegram_id INTEGER, body TEXT,
                  received_at REAL NOT NULL)""")


def _create_private(path: Path) -> None:
    """Health data: the database file is readable by the bot's user alone."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


# From the check-in to its follow-up's earlier ones, then to the outbox by (kind, ref_id). Written
# as a join, SQLite walked every queued check-in in the outbox for each one queued (bench/scale.py).
ALERT_KINDS = "'alert', 'alert_chart', 'alert_photo'"  # outbox kinds sent to staff about one alert
ANSWER = "answer"  # outbox kind of the answer to a patient's words: superseded by a newer one
ERASED = "erased"  # outbox kind: a staff copy about an erased patient, edited to say so
ERASED_PHOTO = "erased_photo"  # outbox kind: a picture of an erased patient, deleted from a staff chat
WAL_RETRY_SECONDS = 30.0
STAFF_VIEWS = "'staff', 'staff_edit', 'enrol_qr'"  # outbox kinds that may list a patient or carry a link

OVERTAKEN_IN_OUTBOX = """SELECT c.id FROM checkins this JOIN checkins c ON c.session_id = this.session_id AND c.idx < this.idx
    WHERE this.id = ? AND EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'checkin' AND o.ref_id = c.id AND o.status = 'pending')"""


class Store:
    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            _create_private(Path(path))
            self.db = Database(path)
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit (FULL cost 0.4 ms per
            # commit, most of a reply's time). A committed transaction still survives the bot
            # crashing or being killed; only an OS crash or power loss can undo the last few.
            self.db.execute("PRAGMA synchronous = NORMAL")
        else:
            self.db = Database(memory=True)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        # What is deleted is overwritten with zeros, not left in free space for a file reader to
        # find (some SQLite builds default to off). The WAL is cleared apart: `truncate_wal`.
        self.db.execute("PRAGMA secure_delete = ON")
        self.wal_dirty = False  # erased words may still be in the WAL: truncate_wal has to run
        self._wal_tried_at = float("-inf")  # monotonic time of the last try
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    # Reads go straight to sqlite3: sqlite-utils' query() wraps each SELECT in a savepoint, three
    # statements for one, and every patient message reads several rows.
    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        cursor = self.db.conn.execute(sql, list(params))
        row = cursor.fetchone()
        return None if row is None else dict(zip([c[0] for c in cursor.description], row))

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes committed together or not at all, with one commit. Inside another transaction
        this one is a savepoint of it, so writers that commit alone can also be grouped. (Like
        sqlite-utils' atomic(), whose savepoints have a new name each time: a statement for
        SQLite to compile on every nested write.)"""
        conn = self.db.conn
        nested = conn.in_transaction
        conn.execute("SAVEPOINT store_nested" if nested else "BEGIN")
        try:
            yield
            conn.execute("RELEASE store_nested" if nested else "COMMIT")
        except BaseException:
            if conn.in_transaction:  # an error may have ended the transaction already
                conn.execute("ROLLBACK TO store_nested" if nested else "ROLLBACK")
                if nested:
                    conn.execute("RELEASE store_nested")
            raise

    def _update(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a write and say how many rows it changed: 0 means another caller won the claim."""
        with self.transaction():
            return self.db.conn.execute(sql, list(params)).rowcount

    # ---- enrolment tokens

    def add_enrol_token(self, token: str, clinic_id: str, areas: list[str], intensity: str | None, activities: list[str],
                        first_session: bool | None, treated_at: float, practitioner_id: int | None, now: float, expires_at: float) -> None:
        self.db["enrol_tokens"].insert({
            "token": token, "clinic_id": clinic_id, "areas": json.dumps(areas), "intensity": intensity,
            "activities": json.dumps(activities), "first_session": None if first_session is None else int(first_session),
            "treated_at": treated_at, "practitioner_id": practitioner_id, "created_at": now, "expires_at": expires_at,
        })

    def enrol_token(self, token: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM enrol_tokens WHERE token = ?", [token])

    def use_enrol_token(self, token: str, now: float) -> bool:
        return self._update(
            "UPDATE enrol_tokens SET used_at = ? WHERE token = ? AND used_at IS NULL AND expires_at > ?", [now, token, now]
        ) == 1

    # ---- patients and sessions

    def patient_by_telegram(self, telegram_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM patients WHERE telegram_id = ?", [telegram_id])

    def patient(self, patient_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM patients WHERE id = ?", [patient_id])

    def save_patient(self, telegram_id: int, first_name: str, language: str | None, clinic_id: str, now: float) -> int:
        existing = self.patient_by_telegram(telegram_id)
        row = {"telegram_id": telegram_id, "first_name": first_name, "language": language, "clinic_id": clinic_id, "status": "active"}
        with self.transaction():
            self.db.conn.execute("INSERT OR REPLACE INTO tombstones (telegram_id, clinic_id) VALUES (?, ?)", [telegram_id, clinic_id])
            if existing:
                self.db["patients"].update(existing["id"], row)
                return existing["id"]
            return self.db["patients"].insert({**row, "created_at": now}).last_pk

    def tombstone(self, telegram_id: int) -> str | None:
        """The clinic this chat last belonged to, kept after /stop, /delete and retention."""
        row = self._one("SELECT clinic_id FROM tombstones WHERE telegram_id = ?", [telegram_id])
        return row["clinic_id"] if row else None

    def set_patient_status(self, patient_id: int, status: str) -> None:
        self.db["patients"].update(patient_id, {"status": status})

    def start_session(self, patient_id: int, token: dict[str, Any], clock_speed: float, checkins: list[tuple[int, float, float]], now: float) -> int:
        """A new follow-up replaces any the patient still has running; `checkins` are
        (index, nominal hours, due_at) rows."""
        with self.db.conn:
            for old in self._all("SELECT id FROM sessions WHERE patient_id = ? AND status IN ('active', 'paused')", [patient_id]):
                self._finish_session(old["id"], "replaced")
            session_id = self.db["sessions"].insert({
                "patient_id": patient_id, "clinic_id": token["clinic_id"], "areas": token["areas"],
                "intensity": token["intensity"], "activities": token["activities"], "first_session": token["first_session"],
                "treated_at": token["treated_at"], "practitioner_id": token["practitioner_id"], "clock_speed": clock_speed,
                "status": "active", "created_at": now,
            }).last_pk
            self.db["checkins"].insert_all(
                {"session_id": session_id, "idx": idx, "hours": hours, "due_at": due_at, "status": "pending"}
                for idx, hours, due_at in checkins
            )
            if token.get("token"):  # the link is erased with the follow-up it started
                self.db.conn.execute("UPDATE enrol_tokens SET session_id = ? WHERE token = ?",
                                     [session_id, token["token"]])
        return session_id

    def _finish_session(self, session_id: int, status: str) -> None:
        self.db.conn.execute("UPDATE sessions SET status = ? WHERE id = ?", [status, session_id])
        self.db.conn.execute("UPDATE checkins SET status = 'cancelled' WHERE session_id = ? AND status = 'pending'", [session_id])

    def latest_session(self, patient_id: int, clinic_id: str | None = None) -> dict[str, Any] | None:
        """The patient's newest follow-up, whatever its status: at any clinic, or at `clinic_id`
        (what that clinic's staff may see)."""
        return self._one(
            """SELECT * FROM sessions WHERE patient_id = ? AND (? IS NULL OR clinic_id = ?)
               ORDER BY id DESC LIMIT 1""",
            [patient_id, clinic_id, clinic_id])

    def current_session(self, patient_id: int) -> dict[str, Any] | None:
        """The newest follow-up if the patient can still talk to it (active, paused, completed).
        Never an older one: after /stop that one may be at a clinic the patient has left."""
        session = self.latest_session(patient_id)
        return session if session and session["status"] in ("active", "paused", "completed") else None

    def session(self, session_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM sessions WHERE id = ?", [session_id])

    def stop_session(self, session_id: int) -> None:
        with self.db.conn:
            self._finish_session(session_id, "stopped")

    def pause_session(self, session_id: int) -> bool:
        with self.db.conn:
            changed = self.db.conn.execute("UPDATE sessions SET status = 'paused' WHERE id = ? AND status = 'active'", [session_id]).rowcount
            self.db.conn.execute("UPDATE checkins SET status = 'paused' WHERE session_id = ? AND status = 'pending'", [session_id])
        return changed == 1

    def resume_session(self, session_id: int, now: float) -> bool:
        """Check-ins that fell due while paused are skipped, not sent late in a burst."""
        with self.db.conn:
            changed = self.db.conn.execute("UPDATE sessions SET status = 'active' WHERE id = ? AND status = 'paused'", [session_id]).rowcount
            self.db.conn.execute("UPDATE checkins SET status = 'skipped' WHERE session_id = ? AND status = 'paused' AND due_at <= ?", [session_id, now])
            self.db.conn.execute("UPDATE checkins SET status = 'pending' WHERE session_id = ? AND status = 'paused'", [session_id])
        return changed == 1

    def active_sessions(self, clinic_id: str) -> list[dict[str, Any]]:
        return self._all(
            """SELECT s.*, p.first_name, p.telegram_id,
                      (SELECT bucket FROM assessments a WHERE a.session_id = s.id ORDER BY a.id DESC LIMIT 1) AS last_bucket
               FROM sessions s JOIN patients p ON p.id = s.patient_id
               WHERE s.clinic_id = ? AND s.status IN ('active', 'paused') ORDER BY s.treated_at""",
            [clinic_id],
        )

    def purge_expired(self, clinic_id: str, cutoff: float) -> int:
        """Retention: erase follow-ups of this clinic treated before `cutoff` and no longer
        running (with their enrolment links and the messages about them), patients left with
        none (with every message to or about them), sent messages and spent enrolment links;
        then truncate the WAL. Returns how many follow-ups were erased."""
        old = [r["id"] for r in self._all(
            "SELECT id FROM sessions WHERE clinic_id = ? AND treated_at < ? AND status NOT IN ('active', 'paused')", [clinic_id, cutoff]
        )]
        with self.transaction():
            before = self.db.conn.total_changes
            self._erase_sessions(old)
            for patient in self._all(
                """SELECT * FROM patients WHERE clinic_id = ? AND created_at < ?
                   AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.patient_id = patients.id)""",
                [clinic_id, cutoff],
            ):
                self._erase_outbox(self._outbox_about(patient, []))
                self.db.conn.execute("DELETE FROM patients WHERE id = ?", [patient["id"]])
            self.db.conn.execute("DELETE FROM outbox WHERE created_at < ? AND status != 'pending'", [cutoff])
            self.db.conn.execute("DELETE FROM enrol_tokens WHERE clinic_id = ? AND expires_at < ?", [clinic_id, cutoff])
            erased = self.db.conn.total_changes > before
        if erased:
            self.wal_dirty = True
            self.truncate_wal()
        return len(old)

    def _erase_sessions(self, sessions: list[int]) -> None:
        if not sessions:
            return
        marks = ",".join("?" * len(sessions))
        tokens = self._all(f"SELECT token FROM enrol_tokens WHERE session_id IN ({marks})", sessions)
        for row in tokens:  # the link (a QR code, the staff's enrolment message) with the token in it
            self.db.conn.execute(f"DELETE FROM outbox WHERE kind IN ({STAFF_VIEWS}) AND instr(text, ?) > 0",
                                 [row["token"]])
        self.db.conn.execute(f"DELETE FROM enrol_tokens WHERE session_id IN ({marks})", sessions)
        for table in ("answers", "assessments", "photos", "checkins"):
            self.db.conn.execute(f"DELETE FROM {table} WHERE session_id IN ({marks})", sessions)
        alert_ids = [r["id"] for r in self._all(f"SELECT id FROM alerts WHERE session_id IN ({marks})", sessions)]
        if alert_ids:  # the alert, its chart and the patient's photos, in the staff's chats
            self.db.conn.execute(f"DELETE FROM outbox WHERE kind IN ({ALERT_KINDS}) AND ref_id IN ({','.join('?' * len(alert_ids))})",
                                 alert_ids)
        self.db.conn.execute(f"DELETE FROM alerts WHERE session_id IN ({marks})", sessions)
        self.db.conn.execute(f"DELETE FROM sessions WHERE id IN ({marks})", sessions)

    def _outbox_about(self, patient: dict[str, Any], sessions: list[int]) -> list[dict[str, Any]]:
        """Every message to the patient or about them: to their chat; to staff, named for them
        (an alert, its chart and photos, an acknowledgement, a notice, the staff's view of them),
        an alert's copies by its id, and lists that show them as `#id name` (as staff read names:
        bot/alerts.patient_name)."""
        marks = ",".join("?" * len(sessions))
        by_alert = (f"""OR (kind IN ({ALERT_KINDS})
                            AND ref_id IN (SELECT id FROM alerts WHERE session_id IN ({marks})))"""
                    if sessions else "")
        shown = neutral(patient["first_name"] or "").strip() or "?"
        listed = f"#{patient['id']} {html.escape(shown, quote=False)}"
        return self._all(
            f"""SELECT id, chat_id, status, photo IS NOT NULL AS photo,
                       COALESCE(edit_message_id, message_id) AS message_id
                FROM outbox WHERE chat_id = ? OR patient_id = ?
                                  OR (kind IN ({STAFF_VIEWS}) AND instr(text, ?) > 0) {by_alert}""",
            [patient["telegram_id"], patient["id"], listed, *sessions])

    def _erase_outbox(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 500):
            ids = [r["id"] for r in rows[start:start + 500]]
            self.db.conn.execute(f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(ids))})", ids)

    def retry_truncate_wal(self) -> None:
        """Try again a truncation a reader held off, at most every WAL_RETRY_SECONDS (a replica
        such as Litestream may hold the WAL for long)."""
        if self.wal_dirty and time.monotonic() - self._wal_tried_at >= WAL_RETRY_SECONDS:
            self.truncate_wal()

    def truncate_wal(self) -> bool:
        """Copy the WAL into the database and cut it to nothing: an older copy of a page there
        would still hold what was just erased (zeroed in the database by secure_delete). It never
        waits, holding up the event loop: while another connection reads (a backup, a command)
        it fails, `wal_dirty` stays set and the caller tries again later. True when done."""
        if self.db.memory:
            self.wal_dirty = False
            return True
        if self.db.conn.in_transaction:  # a checkpoint cannot run inside a transaction
            return False
        self._wal_tried_at = time.monotonic()
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            busy = 1
        finally:
            self.db.execute("PRAGMA busy_timeout = 5000")
        self.wal_dirty = bool(busy)
        return not busy

    def backup(self, target: str | Path) -> None:
        """A consistent copy while the bot runs (SQLite's online backup), private like the original."""
        target = Path(target)
        _create_private(target)
        destination = Database(target)
        with destination.conn:
            self.db.conn.backup(destination.conn)
        destination.close()

    def delete_patient(self, patient_id: int, now: float = 0.0, erased_text: str | None = None) -> list[int]:
        """Erase everything held about a patient: follow-ups, words, photos, assessments, alerts,
        enrolment links, every message to or about them (waiting, sent, superseded, to staff
        too) and their stored updates; only the tombstone (chat -> clinic) stays. The staff's
        copies already in Telegram are edited to `erased_text`, pictures deleted, through the
        outbox (rows naming no one; one refused does not matter). Then the WAL is truncated.
        Returns those rows, to send at once."""
        patient = self.patient(patient_id)
        if not patient:
            return []
        with self.transaction():
            sessions = [r["id"] for r in self._all("SELECT id FROM sessions WHERE patient_id = ?",
                                                   [patient_id])]
            about = self._outbox_about(patient, sessions)
            copies = {(r["chat_id"], r["message_id"]): r["photo"] for r in about
                      if r["chat_id"] != patient["telegram_id"] and r["status"] == "sent" and r["message_id"]}
            self._erase_outbox(about)
            self._erase_sessions(sessions)
            self._inbox_erase(patient["telegram_id"])
            self.db.conn.execute("DELETE FROM patients WHERE id = ?", [patient_id])
            edits = [] if erased_text is None else [
                self._insert_outbox(chat_id, ERASED_PHOTO if photo else ERASED, "" if photo else erased_text,
                                    None, now, None, 1, edit_message_id=message_id)
                for (chat_id, message_id), photo in copies.items()]
        self.wal_dirty = True
        self.truncate_wal()
        return edits

    # ---- check-ins

    def skip_overtaken_checkins(self, now: float) -> int:
        """After downtime, a check-in whose successor is already due too is recorded as missed
        by the outage instead of being sent late: no burst of stale questions after a restart."""
        return self._update(
            """UPDATE checkins SET status = 'missed_outage' WHERE status = 'pending' AND due_at <= ? AND EXISTS
               (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id AND later.idx > checkins.idx
                AND later.due_at <= ? AND later.status IN ('pending', 'sent', 'answered'))""",
            [now, now],
        )

    def due_checkins(self, now: float, limit: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM checkins WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?", [now, limit])

    def queue_checkin(self, checkin_id: int, chat_id: int, text: str, markup: dict | None, now: float,
                      reminder_due_at: float | None = None) -> int | None:
        """Claim a due check-in and put its message in the outbox in one transaction, so a crash
        leaves it either pending or queued, never lost. Returns the outbox id, or None when
        another caller claimed it first."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                "UPDATE checkins SET status = 'sent', sent_at = ?, reminder_due_at = ? WHERE id = ? AND status = 'pending'",
                [now, reminder_due_at, checkin_id],
            ).rowcount
            if not claimed:
                return None
            self._drop_overtaken(checkin_id)
            return self._insert_outbox(chat_id, "checkin", text, markup, now, checkin_id, priority=2)

    def _drop_overtaken(self, checkin_id: int) -> None:
        """An earlier check-in of the same follow-up still waiting in the outbox (Telegram or the
        bot was down) is overtaken by this one: recorded as missed by the outage, not sent late."""
        stale = [row[0] for row in self.db.conn.execute(OVERTAKEN_IN_OUTBOX, [checkin_id])]
        if stale:
            marks = ",".join("?" * len(stale))
            self.db.conn.execute(
                f"UPDATE outbox SET status = 'cancelled', last_error = 'overtaken' WHERE kind = 'checkin' AND status = 'pending' AND ref_id IN ({marks})",
                stale)
            self.db.conn.execute(f"UPDATE checkins SET status = 'missed_outage' WHERE status = 'sent' AND id IN ({marks})", stale)

    def drop_checkin(self, checkin_id: int) -> None:
        self._update("UPDATE checkins SET status = 'cancelled' WHERE id = ? AND status = 'pending'", [checkin_id])

    def due_reminders(self, now: float) -> list[dict[str, Any]]:
        return self._all(
            """SELECT c.* FROM checkins c JOIN sessions s ON s.id = c.session_id WHERE c.status = 'sent'
               AND c.reminded_at IS NULL AND c.reminder_due_at <= ? AND s.status = 'active'
               AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = c.id) ORDER BY c.reminder_due_at""",
            [now],
        )

    def queue_reminder(self, checkin_id: int, chat_id: int, text: str, now: float) -> bool:
        """One reminder per check-in: claimed and queued in one transaction."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                "UPDATE checkins SET reminded_at = ? WHERE id = ? AND status = 'sent' AND reminded_at IS NULL", [now, checkin_id]
            ).rowcount
            if claimed:
                self._insert_outbox(chat_id, "reminder", text, None, now, checkin_id, priority=1)
        return bool(claimed)

    def mark_missed(self, now: float) -> list[int]:
        """Unanswered check-ins become missed once the next one has gone out, or, for the last,
        once twice the reminder delay has passed since it was sent. One the patient has started
        answering is never missed. Returns their sessions. (`settle_at`, kept by triggers since
        m004, finds the candidates through an index; the full condition still decides.)"""
        with self.db.conn:
            rows = self.db.conn.execute(
                """UPDATE checkins SET status = 'missed' WHERE status = 'sent' AND settle_at <= ?
                   AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = checkins.id) AND (
                     EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                             AND later.idx > checkins.idx AND later.status IN ('sent', 'answered', 'missed'))
                     OR (NOT EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                                     AND later.idx > checkins.idx AND later.status IN ('pending', 'paused'))
                         AND 2 * reminder_due_at - sent_at <= ?))
                   RETURNING session_id""",
                [now, now],
            ).fetchall()
        return sorted({row[0] for row in rows})

    def missed_in_a_row(self, session_id: int) -> int:
        """How many of the latest settled check-ins in a row were missed."""
        statuses = [r["status"] for r in self._all(
            "SELECT status FROM checkins WHERE session_id = ? AND status IN ('answered', 'missed') ORDER BY idx DESC", [session_id]
        )]
        count = 0
        for status in statuses:
            if status != "missed":
                break
            count += 1
        return count

    def checkin(self, checkin_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM checkins WHERE id = ?", [checkin_id])

    def checkins(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM checkins WHERE session_id = ? ORDER BY idx", [session_id])

    def latest_sent_checkin(self, session_id: int) -> dict[str, Any] | None:
        return self._one(
            "SELECT * FROM checkins WHERE session_id = ? AND status IN ('sent', 'answered') ORDER BY idx DESC LIMIT 1", [session_id]
        )

    def checkin_answered(self, checkin_id: int, now: float) -> None:
        self._update("UPDATE checkins SET status = 'answered', answered_at = ? WHERE id = ? AND status = 'sent'", [now, checkin_id])

    def complete_finished_sessions(self) -> None:
        """A follow-up whose check-ins have all been sent or settled is complete. (`open_checkins`,
        kept by triggers since m004, finds the candidates through an index.)"""
        self._update(
            """UPDATE sessions SET status = 'completed' WHERE status = 'active' AND open_checkins = 0 AND NOT EXISTS
               (SELECT 1 FROM checkins c WHERE c.session_id = sessions.id AND c.status IN ('pending', 'sending', 'paused'))"""
        )

    # ---- inbox: updates stored before Telegram is told they arrived (bot/telegram/intake.py)

    def inbox_add(self, updates: list[tuple[int, int | None, str]], now: float) -> int:
        """Store (update_id, sender's Telegram id, raw JSON) rows in one transaction; an update
        stored before, handled or not, is left as it is. How many were new."""
        with self.transaction():
            return sum(self.db.conn.execute(
                "INSERT OR IGNORE INTO inbox (update_id, telegram_id, body, received_at) VALUES (?, ?, ?, ?)",
                row + (now,)).rowcount for row in updates)

    def inbox_waiting(self) -> list[dict[str, Any]]:
        """Updates stored and not yet handled, oldest first."""
        return self._all("SELECT update_id, body FROM inbox WHERE body IS NOT NULL ORDER BY update_id")

    def inbox_handled(self, update_id: int) -> bool:
        """The update was stored and has been handled since (Telegram sent it again)."""
        return self._one("SELECT 1 AS x FROM inbox WHERE update_id = ? AND body IS NULL", [update_id]) is not None

    def inbox_done(self, update_id: int) -> None:
        """Handled: the patient's words and who sent them go; the id stays to recognise a resend."""
        self._update("UPDATE inbox SET body = NULL, telegram_id = NULL WHERE update_id = ?", [update_id])

    def inbox_prune(self, before: float) -> int:
        """Forget handled updates received before `before` (Telegram resends for 24 h at most)."""
        return self._update("DELETE FROM inbox WHERE body IS NULL AND received_at < ?", [before])

    def _inbox_erase(self, telegram_id: int) -> None:
        """Erasure: the stored updates of this person up to the one being handled (the oldest
        waiting, as updates are handled in order) lose their words; later ones are still handled
        (a red flag written after /delete gets the emergency text), then emptied as usual."""
        self.db.conn.execute(
            """UPDATE inbox SET body = NULL, telegram_id = NULL WHERE telegram_id = ?
               AND update_id <= (SELECT MIN(update_id) FROM inbox WHERE body IS NOT NULL)""", [telegram_id])

    def recover_interrupted(self) -> int:
        """Messages left mid-send by a crash go back to pending: a rare duplicate beats a loss."""
        return self._update("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")

    # ---- answers and assessments

    # Plain INSERTs: sqlite-utils' insert() reads the table's schema on every call.
    def add_answer(self, session_id: int, checkin_id: int | None, question_id: str, value: Any, now: float,
                   message_id: int | None = None) -> int:
        """An answer; `message_id` is the patient's Telegram message that carried words."""
        return self.db.execute(
            "INSERT INTO answers (session_id, checkin_id, question_id, value, received_at, message_id) VALUES (?, ?, ?, ?, ?, ?)",
            [session_id, checkin_id, question_id, json.dumps(value), now, message_id]).lastrowid

    def detach_answer(self, answer_id: int) -> None:
        """Words that said nothing about the patient (small talk) do not join the check-in: it
        stays unanswered, so its reminder still comes and a miss is still counted."""
        self.db.execute("UPDATE answers SET checkin_id = NULL WHERE id = ?", [answer_id])

    def checkin_answers(self, checkin_id: int) -> dict[str, Any]:
        rows = self._all("SELECT question_id, value FROM answers WHERE checkin_id = ? AND question_id != 'text' ORDER BY id", [checkin_id])
        return {r["question_id"]: json.loads(r["value"]) for r in rows}

    def session_answers(self, session_id: int) -> list[dict[str, Any]]:
        return [{**r, "value": json.loads(r["value"])} for r in self._all("SELECT * FROM answers WHERE session_id = ? ORDER BY id", [session_id])]

    def add_assessment(self, session_id: int, checkin_id: int | None, hours: float, bucket: str, rules: list[str],
                       reasons: list[str], soreness: int | None, trend: str | None, now: float,
                       message_id: int | None = None) -> int:
        return self.db.execute(
            """INSERT INTO assessments (session_id, checkin_id, hours, bucket, rules, reasons, soreness, trend, created_at, message_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [session_id, checkin_id, hours, bucket, json.dumps(rules), json.dumps(reasons), soreness, trend, now, message_id],
        ).lastrowid

    def message_buckets(self, session_id: int, message_id: int) -> list[str]:
        """The buckets the patient's message `message_id` was judged, as sent and as edited."""
        return [r["bucket"] for r in self._all(
            "SELECT bucket FROM assessments WHERE session_id = ? AND message_id = ?", [session_id, message_id])]

    def message_taken(self, session_id: int, message_id: int, text: str) -> int | None:
        """The stored words `text` of the patient's message `message_id`, if taken already (an
        update handed over again after a restart): their answer row id."""
        row = self._one("""SELECT id FROM answers WHERE session_id = ? AND message_id = ? AND question_id = 'text'
                           AND value = ? ORDER BY id DESC LIMIT 1""", [session_id, message_id, json.dumps(text)])
        return row["id"] if row else None

    def message_answered(self, session_id: int, message_id: int) -> bool:
        """An answer to an assessment of the patient's message `message_id` was queued."""
        return self._one(
            f"""SELECT 1 AS x FROM assessments a JOIN outbox o ON o.kind = '{ANSWER}' AND o.ref_id = a.id
                WHERE a.session_id = ? AND a.message_id = ? LIMIT 1""", [session_id, message_id]) is not None

    # ---- photos: Telegram's file_id only; erased with the follow-up

    def add_photo(self, session_id: int, checkin_id: int | None, message_id: int | None, file_id: str, now: float) -> int:
        return self.db.execute(
            "INSERT INTO photos (session_id, checkin_id, message_id, file_id, received_at) VALUES (?, ?, ?, ?, ?)",
            [session_id, checkin_id, message_id, file_id, now]).lastrowid

    def photos(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM photos WHERE session_id = ? ORDER BY id", [session_id])

    def forward_photos(self, session_id: int, alert_id: int, chats: list[int], caption: str, now: float) -> int:
        """Queue the follow-up's photos not yet sent to staff, by file_id, to `chats` (after the
        alert's text: priority 1), and mark them sent with alert `alert_id`. How many photos."""
        with self.transaction():
            rows = self._all("SELECT id, file_id FROM photos WHERE session_id = ? AND alert_id IS NULL ORDER BY id", [session_id])
            session = self._one("SELECT patient_id FROM sessions WHERE id = ?", [session_id])
            about = session["patient_id"] if session else None
            for row in rows:
                for chat in chats:
                    self._insert_outbox(chat, "alert_photo", caption, None, now, alert_id, 1, photo=row["file_id"],
                                        patient_id=about)
                self.db.conn.execute("UPDATE photos SET alert_id = ? WHERE id = ?", [alert_id, row["id"]])
        return len(rows)

    def assessments(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM assessments WHERE session_id = ? ORDER BY id", [session_id])
        return [{**r, "rules": json.loads(r["rules"]), "reasons": json.loads(r["reasons"])} for r in rows]

    # ---- alerts

    def add_alert(self, session_id: int, assessment_id: int, clinic_id: str, bucket: str, now: float) -> int:
        return self.db.execute(
            """INSERT INTO alerts (session_id, assessment_id, clinic_id, bucket, status, created_at, notify_count, next_notify_at)
               VALUES (?, ?, ?, ?, 'open', ?, 0, ?)""",
            [session_id, assessment_id, clinic_id, bucket, now, now],
        ).lastrowid

    def alert(self, alert_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM alerts WHERE id = ?", [alert_id])

    def due_alerts(self, now: float) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM alerts WHERE status = 'open' AND next_notify_at <= ? ORDER BY created_at", [now])

    def queue_alert_round(self, alert_id: int, round_: int, next_notify_at: float,
                          messages: list[tuple[int, str, dict | None]], now: float) -> bool:
        """Claim round `round_` of an alert and queue its messages (chat, text, markup) in one
        transaction; only the caller that moved the alert on from that round queues them."""
        with self.db.conn:
            claimed = self.db.conn.execute(
                "UPDATE alerts SET notify_count = ?, next_notify_at = ? WHERE id = ? AND status = 'open' AND notify_count = ?",
                [round_ + 1, next_notify_at, alert_id, round_],
            ).rowcount
            if not claimed:
                return False
            patient = self._one("""SELECT s.patient_id FROM alerts a JOIN sessions s ON s.id = a.session_id
                                   WHERE a.id = ?""", [alert_id])
            for chat_id, text, markup in messages:
                self._insert_outbox(chat_id, "alert", text, markup, now, alert_id, priority=0,
                                    patient_id=patient["patient_id"] if patient else None)
        return True

    def acknowledge_alert(self, alert_id: int, staff_id: int, now: float) -> bool:
        return self._update(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND status = 'open'",
            [staff_id, now, alert_id],
        ) == 1

    def cancel_alert_messages(self, alert_id: int) -> None:
        """Once acknowledged, copies of an alert still waiting to go out are not sent."""
        self._update("UPDATE outbox SET status = 'cancelled' WHERE kind = 'alert' AND ref_id = ? AND status = 'pending'", [alert_id])

    def open_alerts(self, clinic_id: str) -> list[dict[str, Any]]:
        return self._all(
            """SELECT a.*, p.first_name FROM alerts a JOIN sessions s ON s.id = a.session_id
               JOIN patients p ON p.id = s.patient_id WHERE a.clinic_id = ? AND a.status = 'open' ORDER BY a.created_at""",
            [clinic_id],
        )

    # ---- outbox: every message the bot must deliver, retried until Telegram takes it

    def enqueue(self, chat_id: int, kind: str, text: str, markup: dict | None, now: float, ref_id: int | None = None,
                priority: int = 1, edit_message_id: int | None = None, photo: bytes | None = None,
                patient_id: int | None = None) -> int:
        """Queue a message (with `edit_message_id`, an edit of one; with `photo`, a picture with
        the text as caption). Priority 0 goes first: replies and alerts; 2 is scheduled check-ins.
        `patient_id`: the patient a message to someone else is about (erased with them)."""
        with self.transaction():
            return self._insert_outbox(chat_id, kind, text, markup, now, ref_id, priority, edit_message_id,
                                       photo, patient_id)

    def _insert_outbox(self, chat_id: int, kind: str, text: str, markup: dict | None, now: float, ref_id: int | None,
                       priority: int, edit_message_id: int | None = None, photo: bytes | None = None,
                       patient_id: int | None = None) -> int:
        cursor = self.db.conn.execute(
            """INSERT INTO outbox (chat_id, kind, ref_id, text, markup, priority, due_at, status, attempts, created_at,
                                   edit_message_id, photo, patient_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)""",
            [chat_id, kind, ref_id, text, json.dumps(markup) if markup else None, priority, now, now,
             edit_message_id, photo, patient_id],
        )
        return cursor.lastrowid

    def due_outbox(self, now: float, limit: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM outbox WHERE status = 'pending' AND due_at <= ? ORDER BY priority, due_at, id LIMIT ?", [now, limit]
        )

    def outbox_row(self, row_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM outbox WHERE id = ?", [row_id])

    def claim_outbox(self, row_id: int) -> dict[str, Any] | None:
        """The row, now 'sending', or None when another sender claimed it first."""
        with self.db.conn:
            cursor = self.db.conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending' RETURNING *", [row_id]
            )
            row = cursor.fetchone()
            return dict(zip([c[0] for c in cursor.description], row)) if row else None

    def outbox_sent(self, row_id: int, message_id: int | None, now: float) -> None:
        self._update("UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ? WHERE id = ?", [now, message_id, row_id])

    def outbox_retry(self, row_id: int, due_at: float, error: str) -> None:
        self._update("UPDATE outbox SET status = 'pending', due_at = ?, last_error = ? WHERE id = ?", [due_at, error, row_id])

    def outbox_failed(self, row_id: int, error: str) -> None:
        self._update("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", [error, row_id])

    def next_paced(self) -> float | None:
        """When the earliest message held back by per-chat pacing may go."""
        row = self._one("SELECT MIN(due_at) AS due FROM outbox WHERE status = 'pending' AND last_error = 'paced'")
        return row["due"] if row else None

    def unsent(self) -> int:
        return self._one("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')")["n"]

    def sent_alert_messages(self, alert_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM outbox WHERE kind = 'alert' AND ref_id = ? AND status = 'sent'", [alert_id])

    def supersede_answers(self, chat_id: int) -> list[dict[str, Any]]:
        """Answers to the patient's words still waiting (not yet claimed) and not urgent are
        superseded by a newer answer: marked so, kept for the record, never sent. Returns them,
        oldest first, each with the bucket of the assessment it answered (None: small talk)."""
        with self.transaction():
            rows = self._all(
                f"""UPDATE outbox SET status = 'superseded' WHERE chat_id = ? AND kind = '{ANSWER}' AND status = 'pending'
                    AND priority >= 0 RETURNING id, text, markup, ref_id""", [chat_id])
        for row in rows:
            found = self._one("SELECT bucket FROM assessments WHERE id = ?", [row["ref_id"]]) if row["ref_id"] else None
            row["bucket"] = found["bucket"] if found else None
            row["markup"] = json.loads(row["markup"]) if row["markup"] else None
        return sorted(rows, key=lambda r: r["id"])

    def urgent_answer_unsent(self, chat_id: int) -> bool:
        """An urgent answer (an emergency) to this chat is still waiting or being sent."""
        return self._one(
            f"""SELECT 1 AS x FROM outbox WHERE chat_id = ? AND kind = '{ANSWER}' AND priority < 0
                AND status IN ('pending', 'sending') LIMIT 1""", [chat_id]) is not None

    def cancel_outbox_for_chat(self, chat_id: int) -> None:
        self._update("UPDATE outbox SET status = 'cancelled' WHERE chat_id = ? AND status = 'pending'", [chat_id])

    # ---- reports and export (read only: bot/clinic/report.py, bot/clinic/fhir.py)

    def report_sessions(self, clinic_id: str, since: float) -> list[dict[str, Any]]:
        """A clinic's follow-ups treated at or after `since`, oldest first."""
        return self._all(
            "SELECT id, patient_id, treated_at, status FROM sessions WHERE clinic_id = ? AND treated_at >= ? ORDER BY treated_at, id",
            [clinic_id, since],
        )

    def report_checkins(self, clinic_id: str, since: float) -> list[dict[str, Any]]:
        """The check-ins of those follow-ups, in follow-up then schedule order."""
        return self._all(
            """SELECT c.id, c.session_id, s.patient_id, s.treated_at, c.idx, c.hours, c.due_at, c.sent_at, c.answered_at, c.status
               FROM checkins c JOIN sessions s ON s.id = c.session_id
               WHERE s.clinic_id = ? AND s.treated_at >= ? ORDER BY s.treated_at, s.id, c.idx""",
            [clinic_id, since],
        )

    def report_assessments(self, clinic_id: str, since: float) -> list[dict[str, Any]]:
        """The buckets of those follow-ups' assessments (no reasons, no answers)."""
        return self._all(
            """SELECT a.id, a.session_id, a.checkin_id, a.bucket, a.created_at FROM assessments a
               JOIN sessions s ON s.id = a.session_id WHERE s.clinic_id = ? AND s.treated_at >= ? ORDER BY a.id""",
            [clinic_id, since],
        )

    def report_alerts(self, clinic_id: str, since: float) -> list[dict[str, Any]]:
        """Those follow-ups' alerts, with the check-in their assessment belongs to (or None)."""
        return self._all(
            """SELECT al.id, al.session_id, al.assessment_id, x.checkin_id, al.bucket, al.status, al.created_at, al.acknowledged_at
               FROM alerts al JOIN sessions s ON s.id = al.session_id LEFT JOIN assessments x ON x.id = al.assessment_id
               WHERE s.clinic_id = ? AND s.treated_at >= ? ORDER BY al.id""",
            [clinic_id, since],
        )

    def export_patients(self, clinic_id: str, patient_id: int | None = None) -> list[dict[str, Any]]:
        """Patients with a follow-up at the clinic: all, or the one asked for. (Not one enrolled
        here whose follow-ups here were erased: what is left of them is another clinic's.)"""
        return self._all(
            """SELECT * FROM patients p
               WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.patient_id = p.id AND s.clinic_id = ?)
               AND (? IS NULL OR p.id = ?) ORDER BY p.id""",
            [clinic_id, patient_id, patient_id],
        )

    def patient_sessions(self, patient_id: int, clinic_id: str) -> list[dict[str, Any]]:
        """Every follow-up of a patient at a clinic, whatever its status, oldest first."""
        return self._all("SELECT * FROM sessions WHERE patient_id = ? AND clinic_id = ? ORDER BY treated_at, id", [patient_id, clinic_id])

    def session_alerts(self, session_id: int) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM alerts WHERE session_id = ? ORDER BY id", [session_id])
