"""The schema, as sqlite-utils migrations m001..m013, applied in order by `Store` on opening.

An applied migration is recorded by name in `_sqlite_migrations` and never runs again, so a
migration is never renamed or changed in meaning: the schema moves on by adding one. Their SQL
spells statuses and kinds as literals: it is history, and stays what it was when it ran.
Imports nothing of the bot.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare")


# m001's tables, created in this order (a foreign key names a table made before it): columns,
# then the options of sqlite-utils' create(). Then their indexes: (table, columns, unique).
# fmt: off
_M001_TABLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "enrol_tokens": (
        {"token": str, "clinic_id": str, "areas": str, "intensity": str, "activities": str,
         "first_session": int, "treated_at": float, "practitioner_id": int, "created_at": float,
         "expires_at": float, "used_at": float},
        {"pk": "token", "not_null": {"clinic_id", "areas", "treated_at", "created_at", "expires_at"}},
    ),
    "patients": (
        {"id": int, "telegram_id": int, "first_name": str, "language": str, "clinic_id": str, "status": str,
         "created_at": float},
        {"pk": "id", "not_null": {"telegram_id", "clinic_id", "status"}},
    ),
    "sessions": (
        {"id": int, "patient_id": int, "clinic_id": str, "areas": str, "intensity": str, "activities": str,
         "first_session": int, "treated_at": float, "practitioner_id": int, "clock_speed": float,
         "status": str, "created_at": float},
        {"pk": "id", "foreign_keys": [("patient_id", "patients", "id")],
         "not_null": {"patient_id", "status", "treated_at"}},
    ),
    "checkins": (
        {"id": int, "session_id": int, "idx": int, "hours": float, "due_at": float, "status": str,
         "sent_at": float, "message_id": int, "answered_at": float, "reminder_due_at": float,
         "reminded_at": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")],
         "not_null": {"session_id", "due_at", "status"}},
    ),
    "answers": (
        {"id": int, "session_id": int, "checkin_id": int, "question_id": str, "value": str,
         "received_at": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")],
         "not_null": {"session_id", "question_id", "received_at"}},
    ),
    "assessments": (
        {"id": int, "session_id": int, "checkin_id": int, "hours": float, "bucket": str, "rules": str,
         "reasons": str, "soreness": int, "trend": str, "created_at": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")],
         "not_null": {"session_id", "bucket", "created_at"}},
    ),
    "alerts": (
        {"id": int, "session_id": int, "assessment_id": int, "clinic_id": str, "bucket": str, "status": str,
         "created_at": float, "notify_count": int, "next_notify_at": float, "acknowledged_by": int,
         "acknowledged_at": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")],
         "not_null": {"session_id", "clinic_id", "status"}},
    ),
    "outbox": (
        {"id": int, "chat_id": int, "kind": str, "ref_id": int, "text": str, "markup": str, "priority": int,
         "due_at": float, "status": str, "attempts": int, "last_error": str, "created_at": float,
         "sent_at": float, "message_id": int, "edit_message_id": int},
        {"pk": "id", "not_null": {"chat_id", "kind", "text", "due_at", "status"}},
    ),
}
_M001_INDEXES = (
    ("patients", ["telegram_id"], True),
    ("sessions", ["patient_id", "status"], False),
    ("checkins", ["status", "due_at"], False),
    ("checkins", ["session_id"], False),
    ("answers", ["session_id"], False),
    ("assessments", ["session_id"], False),
    ("alerts", ["status", "next_notify_at"], False),
    ("outbox", ["status", "priority", "due_at"], False),
    ("outbox", ["kind", "ref_id"], False),
)
# fmt: on


@migrations()
def m001_initial(db: Database) -> None:
    for name, (columns, options) in _M001_TABLES.items():
        db.table(name).create(columns, **options)
    for table, indexed, unique in _M001_INDEXES:
        db.table(table).create_index(indexed, unique=unique)


@migrations()
def m002_outbox_photo(db: Database) -> None:
    """A message may carry a picture (the enrolment QR code), sent with its text as caption."""
    db.table("outbox").add_column("photo", bytes)


@migrations()
def m003_tick_indexes(db: Database) -> None:
    """The tick runs every second: what it reads must not grow with the history kept
    (bench/scale.py). Answers by check-in (mark_missed and due_reminders skip a check-in being
    answered; without this each sent check-in read every answer ever given), and the sent,
    unreminded check-ins by reminder time."""
    db.table("answers").create_index(["checkin_id"])
    # (status, ...) and partial: small, and preferred by the planner to idx_checkins_status_due_at.
    db.execute(
        "CREATE INDEX idx_checkins_reminder_due ON checkins (status, reminder_due_at) "
        "WHERE status = 'sent' AND reminded_at IS NULL"
    )


_OPEN = "('pending', 'sending', 'paused')"
_TICK_TRIGGERS = """
CREATE TRIGGER checkins_tick_{name} AFTER {event} ON checkins {when} BEGIN
  UPDATE sessions SET open_checkins = (SELECT COUNT(*) FROM checkins c
                                       WHERE c.session_id = sessions.id AND c.status IN {open})
    WHERE id = {row}.session_id;
  UPDATE checkins SET settle_at = CASE
      WHEN EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                   AND later.idx > checkins.idx AND later.status IN ('sent', 'answered', 'missed')) THEN 0
      WHEN EXISTS (SELECT 1 FROM checkins later WHERE later.session_id = checkins.session_id
                   AND later.idx > checkins.idx AND later.status IN ('pending', 'paused')) THEN NULL
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
        (
            "moved",
            "UPDATE OF idx, session_id",
            "WHEN OLD.session_id IS NOT NEW.session_id OR OLD.idx IS NOT NEW.idx",
            "OLD",
        ),
    ):
        db.execute(_TICK_TRIGGERS.format(name=name, event=event, when=when, row=row, open=_OPEN))
    db.execute(f"""UPDATE sessions SET open_checkins = (SELECT COUNT(*) FROM checkins c
                   WHERE c.session_id = sessions.id AND c.status IN {_OPEN})""")
    # fires the trigger: settle_at
    db.execute("UPDATE checkins SET reminder_due_at = reminder_due_at WHERE status = 'sent'")


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
    db.execute(
        "CREATE INDEX idx_assessments_message ON assessments (session_id, message_id) "
        "WHERE message_id IS NOT NULL"
    )
    db.table("photos").create(
        {
            "id": int,
            "session_id": int,
            "checkin_id": int,
            "message_id": int,
            "file_id": str,
            "received_at": float,
            "alert_id": int,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "file_id", "received_at"},
    )
    db.table("photos").create_index(["session_id"])
    # A newer message supersedes the chat's waiting answers: found without reading the queue.
    db.execute(
        "CREATE INDEX idx_outbox_chat_waiting ON outbox (chat_id, kind) "
        "WHERE status IN ('pending', 'sending')"
    )
    db.table("tombstones").create(
        {"telegram_id": int, "clinic_id": str}, pk="telegram_id", not_null={"clinic_id"}
    )
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
    db.execute(
        "CREATE INDEX idx_enrol_tokens_session ON enrol_tokens (session_id) WHERE session_id IS NOT NULL"
    )
    db.execute("""UPDATE outbox SET patient_id = (SELECT s.patient_id FROM alerts a
                    JOIN sessions s ON s.id = a.session_id WHERE a.id = outbox.ref_id)
                  WHERE kind IN ('alert', 'alert_chart', 'alert_photo')""")


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


@migrations()
def m008_tips_sent(db: Database) -> None:
    """A tip is sent once per follow-up (issue 14): each tip an outcome listed, by the guidance's
    tip id, with the follow-up and the assessment it went with (a topic the patient asks about
    again is listed again). Erased with its follow-up."""
    db.execute("""CREATE TABLE tips_sent (session_id INTEGER NOT NULL REFERENCES sessions(id),
                  assessment_id INTEGER, tip_id TEXT NOT NULL, sent_at REAL NOT NULL,
                  PRIMARY KEY (session_id, assessment_id, tip_id))""")


@migrations()
def m009_patient_identity(db: Database) -> None:
    """Who the patient is and one alert that grows (issue 13, points 1 and 2). The clinic's own
    patient reference is typed at enrolment and kept with the link server-side (never in the
    deep link), then on the follow-up it starts; the phone number the patient may share at
    consent is on that follow-up too (`phone_prompt`: asked, shared or skipped), so each clinic
    sees only what was given for its own follow-up, and both go when it is erased. An alert
    counts the later findings folded into it (`updates`) and names the newest one."""
    db.execute("ALTER TABLE enrol_tokens ADD COLUMN patient_ref TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN patient_ref TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN phone TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN phone_prompt TEXT")
    db.execute("ALTER TABLE alerts ADD COLUMN updates INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE alerts ADD COLUMN latest_assessment_id INTEGER")


@migrations()
def m010_alert_escalation(db: Database) -> None:
    """Staff reachability (issue 13): each staff member's and alert chat's last check (at start
    and daily: can the bot write there?), with Telegram's reason when it cannot. Alert rounds
    leave out the chats found unreachable; the admins are told about them."""
    db.execute("""CREATE TABLE chat_reach (chat_id INTEGER PRIMARY KEY, reachable INTEGER NOT NULL,
                  reason TEXT, checked_at REAL NOT NULL)""")


@migrations()
def m011_clinic_settings(db: Database) -> None:
    """Settings from Telegram (issue 13): a clinic's config values an admin changed with
    /settings (`value` as JSON in the config file's form; null: unset), staff added or removed
    over the file's list, and every change with who made it, when, and the value before and after.
    A row here wins over the config file until an admin resets it."""
    db.execute("""CREATE TABLE clinic_settings (clinic_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
                  changed_by INTEGER NOT NULL, changed_at REAL NOT NULL, PRIMARY KEY (clinic_id, key))""")
    db.execute("""CREATE TABLE clinic_staff (clinic_id TEXT NOT NULL, telegram_id INTEGER NOT NULL,
                  name TEXT NOT NULL, role TEXT NOT NULL, removed INTEGER NOT NULL,
                  changed_by INTEGER NOT NULL, changed_at REAL NOT NULL,
                  PRIMARY KEY (clinic_id, telegram_id))""")
    db.execute("""CREATE TABLE settings_audit (id INTEGER PRIMARY KEY, clinic_id TEXT NOT NULL,
                  key TEXT NOT NULL, before TEXT, after TEXT, changed_by INTEGER NOT NULL,
                  changed_at REAL NOT NULL)""")


@migrations()
def m012_alert_lifecycle(db: Database) -> None:
    """An alert's life after "I'm handling it" (issue 13): closed with an outcome (an id of the
    guidance's outcomes.toml), by whom, when, and the staff's notes on it. `staff_messages` keeps
    what staff wrote to the patient from an alert (the timeline shows it); `staff_prompts` the
    questions the bot asked a staff member (a note, a message to the patient) awaiting their
    reply, by the outbox row of the prompt (its message id). A check-in marked `after_alert`
    asks whether the patient reached the clinic. All erased with their follow-up."""
    for column, kind in (
        ("outcome", "TEXT"),
        ("closed_by", "INTEGER"),
        ("closed_at", "REAL"),
        ("note", "TEXT"),
    ):
        db.execute(f"ALTER TABLE alerts ADD COLUMN {column} {kind}")
    db.execute("ALTER TABLE checkins ADD COLUMN after_alert INTEGER NOT NULL DEFAULT 0")
    db.execute("""CREATE TABLE staff_messages (id INTEGER PRIMARY KEY,
                  session_id INTEGER NOT NULL REFERENCES sessions(id), alert_id INTEGER,
                  staff_id INTEGER NOT NULL, text TEXT NOT NULL, sent_at REAL NOT NULL)""")
    db.execute("CREATE INDEX idx_staff_messages_session ON staff_messages (session_id)")
    db.execute("""CREATE TABLE staff_prompts (id INTEGER PRIMARY KEY,
                  session_id INTEGER NOT NULL REFERENCES sessions(id), alert_id INTEGER NOT NULL,
                  staff_id INTEGER NOT NULL, chat_id INTEGER NOT NULL, purpose TEXT NOT NULL,
                  outbox_id INTEGER, created_at REAL NOT NULL, done_at REAL)""")
    db.execute("CREATE INDEX idx_staff_prompts_staff ON staff_prompts (staff_id) WHERE done_at IS NULL")


@migrations()
def m013_web_sessions(db: Database) -> None:
    """The web worklist (issue 15): one-time sign-in links and browser sessions, each kept as the
    SHA-256 of its token only (a copy of the database signs no one in), with the staff member's
    Telegram id. And the indexes its pages read through, so a page costs what it shows, not what
    the clinic holds: open alerts by clinic, follow-ups by clinic and status."""
    db.execute("""CREATE TABLE web_links (token_hash TEXT PRIMARY KEY, telegram_id INTEGER NOT NULL,
                  created_at REAL NOT NULL, expires_at REAL NOT NULL, used_at REAL)""")
    db.execute("""CREATE TABLE web_sessions (token_hash TEXT PRIMARY KEY, telegram_id INTEGER NOT NULL,
                  created_at REAL NOT NULL, expires_at REAL NOT NULL)""")
    db.execute("CREATE INDEX idx_web_links_telegram ON web_links (telegram_id)")
    db.execute("CREATE INDEX idx_web_sessions_telegram ON web_sessions (telegram_id)")
    db.execute("CREATE INDEX idx_alerts_clinic_status ON alerts (clinic_id, status, acknowledged_at)")
    db.execute("CREATE INDEX idx_sessions_clinic_status ON sessions (clinic_id, status)")
    # What a patient wrote, newest first, without reading their button answers (the worklist).
    db.execute(
        "CREATE INDEX idx_answers_session_words ON answers (session_id, id) WHERE question_id = 'text'"
    )
