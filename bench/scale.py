"""Schedule scale: start-up with 100,000 pending check-ins, and the tick's queries over 1,000,000 rows.

    .venv/bin/python bench/scale.py [--pending 100000] [--rows 1000000] [--repeat 15] [--keep DIR]

1. Start-up. A store holding `--pending` pending check-ins (4 a follow-up at 6/24/48/72 h, active
   follow-ups at every stage, so also their sent and answered check-ins, patients to match) is
   built in one transaction. A fresh child process then opens it as the bot does and times: open
   Store + migrations, guidance, build_application, post_init's re-queue, and the first tick with
   nothing due; then reads its peak RSS (VmHWM). Targets: < 2 s, < 200 MB. Also shown: imports,
   and the first start after upgrading a database made before this schema's newest migration.
2. Tick cost. `--rows` check-ins (the same pending ones, the rest of finished follow-ups within the
   retention period: answered or missed) and an outbox row for every message they caused. Each
   store call the tick makes is timed (median of `--repeat`) with nothing due, and with 100
   check-ins, 100 outbox messages, 10 reminders and 5 alert rounds due. Target: < 20 ms in all.
   The statements each call ran are captured and their `EXPLAIN QUERY PLAN` printed; a SCAN of a
   whole table or index (rather than a SEARCH through an index) is a missed target.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_START_S = 2.0
TARGET_RSS_MB = 200.0
TARGET_TICK_MS = 20.0
HOURS = (6.0, 24.0, 48.0, 72.0)
CLINIC = "harbour"
TEXT = (
    "Hi Ana, it's about 24 hours since your session. A few quick questions: tap the buttons, or just tell me "
    "in your own words how you're feeling."
)
# Pending share of all check-ins kept: 3-day follow-ups kept 90 days are 1/30 active, and an active
# follow-up has 2.5 of its 4 check-ins still pending on average.
RETAINED_PENDING = 3 / 90 * 2.5 / 4
TICK_CALLS = (
    "skip_overtaken_checkins",
    "due_checkins",
    "mark_missed",
    "due_reminders",
    "due_alerts",
    "complete_finished_sessions",
    "due_outbox",
    "overtaken (each queued)",
)


# ---- building a large store


def _config(folder: Path, database: Path) -> Path:
    from tests.harness import write_config

    path = write_config(
        folder, "http://127.0.0.1:9/bot", [(1, "Dana Reyes", "practitioner"), (2, "Sam Okafor", "admin")]
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'database = "aftercare.sqlite3"', f"database = {json.dumps(str(database))}"
        ),
        encoding="utf-8",
    )
    return path


def build_store(
    database: Path, rows: int, pending: int, now: float, seed: int = 1, before: str | None = None
) -> dict:
    """`rows` check-ins: finished follow-ups treated within the last 90 days (answered or missed,
    two answers for each answered one), then, newest, the active follow-ups holding `pending`
    pending check-ins (a quarter at each stage: 0-3 check-ins gone out, the latest of those
    unanswered in half of them, its reminder not due yet); one outbox row for every
    check-in sent. Nothing is due at `now`. The schema is the bot's (Store runs the migrations);
    the rows go in with executemany, in one transaction. With `before`, the schema stops short of
    that migration, as a database made by an older version of the bot."""
    from sqlite_utils import Database

    from bot.store.database import Store
    from bot.store.migrations import migrations

    if before:
        old = Database(database)
        migrations.apply(old, stop_before=before)
        old.close()
    else:
        Store(database).close()
    rng = random.Random(seed)
    active_sessions = -(-pending * 2 // 5)  # 2.5 pending check-ins per active follow-up on average
    finished_sessions = max(0, rows // 4 - active_sessions)
    sessions, checkins, outbox, patients, answers = [], [], [], [], []
    stage0, unanswered = [], []

    def add_session(sid: int, treated_at: float, status: str) -> None:
        patients.append((sid, 1_000_000_000 + sid, f"P{sid}", "en", CLINIC, "active", treated_at))
        sessions.append(
            (sid, sid, CLINIC, '["calf"]', "moderate", "[]", 1, treated_at, 1, 1.0, status, treated_at)
        )

    def add_checkin(
        sid: int, idx: int, due: float, status: str, answered: bool = False, reminded: bool = False
    ) -> int:
        cid = len(checkins) + 1
        gone = status != "pending"
        checkins.append(
            (
                cid,
                sid,
                idx,
                HOURS[idx],
                due,
                status,
                due if gone else None,
                1000 + idx if gone else None,
                due + 900 if answered else None,
                due + 7200 if gone else None,
                due + 7200 if reminded else None,
            )
        )
        if gone:
            outbox.append(
                (
                    1_000_000_000 + sid,
                    "checkin",
                    cid,
                    TEXT,
                    None,
                    2,
                    due,
                    "sent",
                    1,
                    None,
                    due,
                    due,
                    1000 + idx,
                )
            )
        if answered:
            answers.append((sid, cid, "soreness", "3", due + 900))
            answers.append((sid, cid, "text", '"a bit stiff"', due + 900))
        return cid

    for sid in range(1, finished_sessions + 1):
        treated_at = now - (4 + rng.random() * 86) * 86400
        add_session(sid, treated_at, "completed")
        for idx, hours in enumerate(HOURS):
            if rng.random() < 0.8:
                add_checkin(sid, idx, treated_at + hours * 3600, "answered", answered=True)
            else:
                add_checkin(sid, idx, treated_at + hours * 3600, "missed", reminded=True)
    made_pending = 0
    for n in range(active_sessions):
        sid = finished_sessions + n + 1
        stage = n % 4  # check-ins already gone out
        # the latest check-in out 6-54 min ago: its reminder (2 h) falls due after the benchmark
        treated_at = now - (3600 if stage == 0 else (HOURS[stage - 1] + 0.1 + 0.8 * rng.random()) * 3600)
        add_session(sid, treated_at, "active")
        if stage == 0:
            stage0.append(sid)
        waiting = stage and rng.random() < 0.5  # the latest one gone out is not answered yet
        for idx, hours in enumerate(HOURS):
            due = treated_at + hours * 3600
            if idx >= stage:
                add_checkin(sid, idx, due, "pending")
                made_pending += 1
            elif idx == stage - 1 and waiting:
                unanswered.append(add_checkin(sid, idx, due, "sent"))
            else:
                add_checkin(sid, idx, due, "answered", answered=True)

    connection = sqlite3.connect(database)
    connection.execute("PRAGMA synchronous = OFF")
    with connection:
        connection.executemany(
            "INSERT INTO patients (id, telegram_id, first_name, language, clinic_id, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            patients,
        )
        connection.executemany(
            "INSERT INTO sessions (id, patient_id, clinic_id, areas, intensity, activities, first_session, "
            "treated_at, practitioner_id, clock_speed, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sessions,
        )
        connection.executemany(
            "INSERT INTO checkins (id, session_id, idx, hours, due_at, status, sent_at, message_id, "
            "answered_at, reminder_due_at, reminded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            checkins,
        )
        connection.executemany(
            "INSERT INTO answers (session_id, checkin_id, question_id, value, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            answers,
        )
        connection.executemany(
            "INSERT INTO outbox (chat_id, kind, ref_id, text, markup, priority, due_at, status, attempts, "
            "last_error, created_at, sent_at, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            outbox,
        )
        connection.executemany(
            "INSERT INTO alerts (session_id, assessment_id, clinic_id, bucket, status, created_at, "
            "notify_count, next_notify_at, acknowledged_by, acknowledged_at) "
            "VALUES (?, NULL, ?, 'urgent', 'acknowledged', ?, 1, ?, 1, ?)",
            [
                (sid, CLINIC, now - 86400, now - 84600, now - 86000)
                for sid in range(1, len(sessions) + 1, 500)
            ],
        )
    connection.close()
    return {
        "sessions": len(sessions),
        "active": active_sessions,
        "check-ins": len(checkins),
        "pending": made_pending,
        "unanswered": len(unanswered),
        "answers": len(answers),
        "outbox": len(outbox),
        "stage0": stage0[:100],
        "sent_ids": unanswered[:10],
    }


def make_due(database: Path, counts: dict, now: float) -> None:
    """100 check-ins (first ones, so none is overtaken), 100 outbox messages, 10 reminders and
    5 alert rounds fall due at `now`."""
    connection = sqlite3.connect(database)
    with connection:
        marks = ",".join("?" * len(counts["stage0"]))
        connection.execute(
            f"UPDATE checkins SET due_at = ? WHERE idx = 0 AND session_id IN ({marks})",
            [now - 60, *counts["stage0"]],
        )
        connection.executemany(
            "INSERT INTO outbox (chat_id, kind, text, priority, due_at, status, attempts, created_at) "
            "VALUES (?, 'reply', ?, 0, ?, 'pending', 0, ?)",
            [(2_000_000 + i, TEXT, now - 1, now - 1) for i in range(100)],
        )
        marks = ",".join("?" * len(counts["sent_ids"]))
        connection.execute(
            f"UPDATE checkins SET reminder_due_at = ?, reminded_at = NULL WHERE id IN ({marks})",
            [now - 1, *counts["sent_ids"]],
        )
        connection.executemany(
            "INSERT INTO alerts (session_id, clinic_id, bucket, status, created_at, notify_count, "
            "next_notify_at) VALUES (?, ?, 'urgent', 'open', ?, 0, ?)",
            [(sid, CLINIC, now - 5, now - 5) for sid in counts["stage0"][:5]],
        )
    connection.close()


# ---- start-up, in a fresh process


def startup_child(config_path: str) -> None:
    """Run in a fresh interpreter: time each start-up step, print JSON."""
    import asyncio

    steps = {}
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = now - mark
        mark = now

    from bot.guidance.config import load_config
    from bot.guidance.loader import load_all_guidance
    from bot.store.database import Store
    from bot.telegram.app import build_application

    step("imports")
    config = load_config(Path(config_path))
    store = Store(config.storage.database)
    step("open store + migrations")
    guidance = load_all_guidance(config)
    step("guidance")
    app = build_application(config, store, guidance, "123456:TEST-TOKEN")
    step("build_application")
    store.recover_interrupted()
    step("re-queue interrupted")
    report = asyncio.run(app.bot_data["ticker"].tick())
    step("first tick")
    status = Path("/proc/self/status").read_text()
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    steps["rss_mb"] = int(hwm.group(1)) / 1024 if hwm else float("nan")
    steps["sent"] = report.sent + report.checkins_queued
    store.close()
    print(json.dumps(steps))


def measure_startup(config: Path) -> dict:
    process_start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--startup-child", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(f"start-up child failed:\n{done.stderr[-3000:]}")
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    steps["process"] = time.perf_counter() - process_start
    return steps


STARTUP_STEPS = (
    "open store + migrations",
    "guidance",
    "build_application",
    "re-queue interrupted",
    "first tick",
)
UPGRADE_FROM = "m003_tick_indexes"  # the migrations this benchmark led to start here


def upgrade_from() -> str | None:
    from bot.store.migrations import migrations

    return UPGRADE_FROM if any(m.name == UPGRADE_FROM for m in migrations._migrations) else None


def upgrade(database: Path) -> float:
    """Open the store once, as the first start of a new version would: seconds taken."""
    from bot.store.database import Store

    started = time.perf_counter()
    Store(database).close()
    return time.perf_counter() - started


# ---- the tick's queries


def time_tick_calls(database: Path, now: float, repeat: int) -> dict[str, tuple[float, list[str]]]:
    """Median ms of each store call the tick makes, and the statements it ran."""
    from bot.store.checkins import OVERTAKEN_IN_OUTBOX
    from bot.store.database import Store

    store = Store(database)
    due = store.due_checkins(now, 1)
    checkin_id = due[0].id if due else store.db.execute("SELECT id FROM checkins LIMIT 1").fetchone()[0]
    calls = {
        "skip_overtaken_checkins": lambda: store.skip_overtaken_checkins(now),
        "due_checkins": lambda: store.due_checkins(now, 100),
        "mark_missed": lambda: store.mark_missed(now),
        "due_reminders": lambda: store.due_reminders(now),
        "due_alerts": lambda: store.due_alerts(now),
        "complete_finished_sessions": lambda: store.complete_finished_sessions(),
        "due_outbox": lambda: store.due_outbox(now, 100),
        # run by queue_checkin for each check-in it queues, so its cost is per message, not per tick
        "overtaken (each queued)": lambda: store.db.conn.execute(
            OVERTAKEN_IN_OUTBOX, [checkin_id]
        ).fetchall(),
    }
    out = {}
    try:
        for name, call in calls.items():
            statements: list[str] = []
            store.db.conn.set_trace_callback(statements.append)
            call()
            store.db.conn.set_trace_callback(None)
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                timings.append((time.perf_counter() - started) * 1000)
            sql = [
                s
                for s in statements
                if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", s, re.I)
            ]
            out[name] = (statistics.median(timings), sql)
    finally:
        store.close()
    return out


def query_plans(database: Path, statements: list[str]) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        lines = []
        for sql in statements:
            for row in connection.execute("EXPLAIN QUERY PLAN " + sql):
                lines.append(row[3])
        return lines
    finally:
        connection.close()


def full_scans(plan: list[str]) -> list[str]:
    """Plan lines that read a whole table or a whole index: `SCAN t` or `SCAN t USING ... INDEX`
    (a SEARCH uses an index to read a range; CONSTANT ROW and temporary B-trees are harmless here)."""
    return [line for line in plan if line.startswith("SCAN ") and "CONSTANT ROW" not in line]


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--startup-child":
        startup_child(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--tick-pending",
        type=int,
        help="pending check-ins among --rows (default: as a 90-day retention of "
        "3-day follow-ups leaves them, 2.1%% of the rows)",
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", help="build the databases in this folder and keep them")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()} "
        f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores"
    )
    try:
        now = time.time()
        small = folder / "startup.sqlite3"
        for leftover in folder.glob("*.sqlite3*"):
            leftover.unlink()
        before = upgrade_from()
        started = time.perf_counter()
        counts = build_store(small, args.pending * 8 // 5, args.pending, now, before=before)
        built = time.perf_counter() - started
        print(
            f"\n1. start-up: {counts['pending']:,} pending check-ins, {counts['check-ins']:,} check-ins, "
            f"{counts['active']:,} active follow-ups; built in {built:.1f} s, "
            f"{small.stat().st_size / 2**20:.0f} MB"
        )
        config = _config(folder, small)
        if before:
            first = measure_startup(config)
            print(
                f"   {'first start after the upgrade':<32}"
                f"{first['open store + migrations'] * 1000:9.1f} ms   "
                f"(opening the store runs {before} and later on a database made before them)"
            )
        steps = measure_startup(config)
        startup = sum(steps[k] for k in STARTUP_STEPS)
        for name in ("imports", *STARTUP_STEPS):
            print(f"   {name:<32}{steps[name] * 1000:9.1f} ms")
        print(
            f"   {'start-up (store to first tick)':<32}{startup * 1000:9.1f} ms   "
            f"(target < {TARGET_START_S * 1000:.0f} ms)"
        )
        print(f"   {'whole process, interpreter too':<32}{steps['process'] * 1000:9.1f} ms")
        print(f"   {'peak RSS (VmHWM)':<32}{steps['rss_mb']:9.1f} MB   (target < {TARGET_RSS_MB:.0f} MB)")
        if startup >= TARGET_START_S:
            failures.append("start-up time")
        if not steps["rss_mb"] < TARGET_RSS_MB:
            failures.append("start-up RSS")

        big = folder / "tick.sqlite3"
        started = time.perf_counter()
        counts = build_store(
            big, args.rows, args.tick_pending or round(args.rows * RETAINED_PENDING), now, before=before
        )
        built = time.perf_counter() - started
        upgraded = upgrade(big)
        print(
            f"\n2. tick: {counts['check-ins']:,} check-ins ({counts['pending']:,} pending, "
            f"{counts['unanswered']:,} sent and unanswered), {counts['sessions']:,} follow-ups "
            f"({counts['active']:,} active), "
            f"{counts['answers']:,} answers, {counts['outbox']:,} outbox rows; built in {built:.1f} s, "
            f"{big.stat().st_size / 2**20:.0f} MB"
        )
        if before:
            print(f"   upgrading it (opening the store runs {before} and later): {upgraded:.1f} s, once")
        nothing = time_tick_calls(big, now, args.repeat)
        make_due(big, counts, now)
        due = time_tick_calls(big, now, args.repeat)
        print(f"   {'store call':<30}{'nothing due':>12}{'100 due':>10}")
        for name in TICK_CALLS:
            print(f"   {name:<30}{nothing[name][0]:>9.2f} ms{due[name][0]:>7.2f} ms")
        totals = sum(v[0] for v in nothing.values()), sum(v[0] for v in due.values())
        print(
            f"   {'total':<30}{totals[0]:>9.2f} ms{totals[1]:>7.2f} ms   (target < {TARGET_TICK_MS:.0f} ms)"
        )
        if max(totals) >= TARGET_TICK_MS:
            failures.append("tick cost")
        print("\n   EXPLAIN QUERY PLAN (100 due)")
        for name in TICK_CALLS:
            plan = query_plans(big, due[name][1])
            scans = full_scans(plan)
            print(f"   {name}{'   <- FULL SCAN' if scans else ''}")
            for line in plan:
                print(f"      {line}")
            if scans:
                failures.append(f"{name} scans ({'; '.join(scans)})")
    finally:
        if not args.keep:
            for leftover in folder.glob("*"):
                leftover.unlink()
            folder.rmdir()
    if failures:
        print("\nMISSED: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
