"""`aftercare demo`: a clinic day, played against the built-in Bot API emulator, in a minute.

No token and no network: the real bot (`bot.telegram.app.build_application`, its JobQueue ticking)
talks to `BotApiEmulator` on 127.0.0.1 with Telegram's flood limits on, from a temporary
config and SQLite file. The clinic's `clock_speed` compresses the 72-hour follow-up into about
72 seconds. Three scripted patients (bot/demo/script.py) open their links, consent and answer;
a practitioner and an admin acknowledge alerts. Every chat is shown live (bot/demo/display.py)
and a summary table ends the run. The exit status says whether the day played out as scripted.

`--fast` (for tests) also runs the bot's and the emulator's clocks 10 times faster than real
time. The clinic's clock_speed alone cannot squeeze the day into seconds: a check-in is about
seven messages in one chat, and Telegram (the emulator, and the bot's own pacing) allows about
one a second per chat, so a faster schedule would send the next check-in before the patient
had finished the last. Both clocks run together, so the flood limits are enforced all the same.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.guidance.config import Config, load_config
from bot.demo.config_writer import write_clinic_config
from bot.emulator import BotApiEmulator, User
from bot.clinic.enrolment import create_enrolment
from bot.store.database import Store
from bot.triage.engine import SEVERITY

from bot.demo import script
from bot.demo.display import ChatDisplay

DEFAULT_SPEED = 3600.0  # "6h" passes in 6 s; the 72 h follow-up in 72 s
MIN_GAP_SECONDS = 8.0  # between check-ins, on the bot's clock: a patient needs ~5 s to answer one
FAST_WARP = 10.0  # --fast: the bot's and the emulator's clocks run this many times faster
SEND_RATE = 28.0  # the bot's overall sends a second (Telegram allows about 30)
TICK_SECONDS = 0.2  # the delivery job's interval (real seconds)
FAST_TICK_SECONDS = 0.1
CHECKINS = ("6h", "24h", "48h", "72h")
RENOTIFY = "1h"  # alert_renotify_after
REMINDER = "12h"  # reminder_after: longer than a patient takes to tap through a check-in at Telegram's pace

PATIENT_STYLES = ("green", "yellow", "magenta")
STAFF_STYLES = ("cyan", "bright_blue")
BUCKET_STYLES = {"normal": "green", "contact_practitioner": "yellow", "emergency": "bold red"}
QUIET_LOGGERS = {"apscheduler": logging.ERROR, "httpx": logging.WARNING, "httpcore": logging.WARNING,
                 "telegram": logging.WARNING, "aiohttp": logging.WARNING}


@dataclass(frozen=True)
class DemoOptions:
    speed: float = DEFAULT_SPEED
    quiet: bool = False
    seed: int = 1
    fast: bool = False

    @property
    def warp(self) -> float:
        return FAST_WARP if self.fast else 1.0


class WorldClock:
    """Unix seconds for the bot and the emulator, running `warp` times faster than real time."""

    def __init__(self, warp: float = 1.0):
        self.warp = warp
        self._wall, self._start = time.time(), time.monotonic()

    def __call__(self) -> float:
        return self._wall + (time.monotonic() - self._start) * self.warp


# ---- the temporary clinic --------------------------------------------------------------------

def write_config(folder: Path, api_base_url: str, staff: list[tuple[int, str, str]], speed: float,
                 warp: float = 1.0) -> Path:
    """A one-clinic config for the demo: no quiet hours, the schedule `speed` times faster. With
    `warp`, the emulator's clock (and so the rate Telegram allows) runs that many times faster."""
    clinic = {
        "id": "demo", "name": "Harbour Physio", "timezone": "Europe/London", "phone": "+44 20 7946 0000",
        "emergency_number": "999", "checkins": list(CHECKINS), "clock_speed": float(speed),
        "reminder_after": REMINDER, "alert_renotify_after": RENOTIFY, "language": "en",
    }
    telegram = {"api_base_url": api_base_url, "max_messages_per_second": SEND_RATE * warp}
    return write_clinic_config(folder / "demo.toml", telegram, {"database": str(folder / "demo.sqlite3")}, clinic, staff)


# ---- the result ------------------------------------------------------------------------------

@dataclass
class AlertSummary:
    bucket: str
    at_hours: float
    acknowledged_by: str | None
    after_minutes: float | None
    told: list[str]  # who got a copy, in order, "(reminder)" marking a re-notify


@dataclass
class PatientSummary:
    name: str
    session: str  # "calf, moderate, running"
    checkins_sent: int
    checkins_answered: int
    buckets: list[tuple[str, str]]  # (when, bucket) per assessment
    final_bucket: str | None  # the most serious bucket of the follow-up
    alerts: list[AlertSummary]
    session_status: str | None


@dataclass
class DemoResult:
    patients: list[PatientSummary] = field(default_factory=list)
    violations: int = 0
    api_calls: int = 0
    errors_logged: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def patient(self, name: str) -> PatientSummary:
        return next(p for p in self.patients if p.name == name)


# ---- logging ---------------------------------------------------------------------------------

class _LogCatcher(logging.Handler):
    """Warnings and errors of the run: counted, and shown in the transcript unless quiet."""

    def __init__(self, display: ChatDisplay):
        super().__init__(logging.WARNING)
        self.display = display
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if record.levelno >= logging.ERROR:
            self.errors.append(line)
        self.display.note(f"  [log] {line}", "red" if record.levelno >= logging.ERROR else "yellow")


@contextmanager
def _logging(display: ChatDisplay) -> Iterator[_LogCatcher]:
    catcher = _LogCatcher(display)
    before = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    root.addHandler(catcher)
    try:
        yield catcher
    finally:
        root.removeHandler(catcher)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


# ---- the day ---------------------------------------------------------------------------------

async def run_demo(options: DemoOptions = DemoOptions(), console: Console | None = None) -> DemoResult:
    """Play the day and return what happened; `result.failures` lists what did not go as scripted."""
    from bot.telegram.app import build_application, load_all_guidance

    console = console or Console()
    problem = check_options(options)
    if problem:
        raise ValueError(problem)
    started = time.monotonic()
    clock = WorldClock(options.warp)
    speed = options.speed
    treated = [clock()]  # the sessions' treatment time, set again once the bot is up
    loop = asyncio.get_running_loop()

    def hours() -> float:
        return max(0.0, (clock() - treated[0]) * speed / 3600)

    async def sleep_hours(nominal: float) -> None:
        await asyncio.sleep(nominal * 3600 / speed / clock.warp)

    follow_up_real = 72 * 3600 / speed / clock.warp
    deadline_at = loop.time() + follow_up_real + 20 + follow_up_real * 0.25
    display = ChatDisplay(console, hours, quiet=options.quiet)
    patient_scripts, staff_scripts = script.patients(options.seed), script.staff(options.seed)
    result = DemoResult()

    with _logging(display) as logs, tempfile.TemporaryDirectory(prefix="aftercare-demo-") as tmp:
        async with BotApiEmulator(clock=clock, callback_timeout=15.0 * clock.warp) as emu:
            staff_users = [emu.add_user(s.first_name, last_name=s.last_name) for s in staff_scripts]
            practitioner = next(u for u, s in zip(staff_users, staff_scripts) if s.role == "practitioner")
            patient_users = [emu.add_user(p.name) for p in patient_scripts]
            config = load_config(write_config(Path(tmp), emu.base_url, [
                (u.id, f"{s.first_name} {s.last_name}", s.role) for u, s in zip(staff_users, staff_scripts)], speed, clock.warp))
            clinic = config.clinics[0]
            guidance_by_clinic = load_all_guidance(config)
            guidance = guidance_by_clinic[clinic.id]
            stage = script.Stage(emu, guidance, clinic.language, hours, sleep_hours, display,
                                 [c.total_seconds() / 3600 for c in clinic.checkins])
            for user, style in zip(patient_users, PATIENT_STYLES):
                display.add_chat(user.id, user.first_name, style)
            for user, s, style in zip(staff_users, staff_scripts, STAFF_STYLES):
                display.add_chat(user.id, f"{s.first_name} ({s.role[:5]})", style)
            for user in [*patient_users, *staff_users]:
                stage.inboxes[user.id] = script.Inbox(user.first_name, lambda: deadline_at)
            emu.on_bot_message(stage.listen)
            emu.on_bot_message(display.bot_message)
            if not options.quiet:
                console.print(_header(options, emu, config, patient_scripts, staff_scripts, follow_up_real))

            store = Store(config.storage.database)
            app = build_application(config, store, guidance_by_clinic, emu.token, now=clock,
                                    tick_seconds=FAST_TICK_SECONDS if options.fast else TICK_SECONDS)
            patient_logs = {p.name: script.PatientLog() for p in patient_scripts}
            acknowledged: dict[str, str] = {}
            try:
                async with app:
                    await app.start()
                    await app.updater.start_polling(poll_interval=0.0, timeout=1)
                    try:
                        treated[0] = treated_at = clock()
                        tokens = [create_enrolment(store, clinic, p.areas, p.intensity, p.activities, True, treated_at,
                                                   practitioner.id, clock(), guidance=guidance).token
                                  for p in patient_scripts]
                        actors = [script.play_patient(stage, p, u, t, patient_logs[p.name])
                                  for p, u, t in zip(patient_scripts, patient_users, tokens)]
                        actors += [script.play_staff(stage, s, u, acknowledged) for s, u in zip(staff_scripts, staff_users)]
                        await _all_or_nothing(actors)
                        await _settle(store, loop, deadline_at)
                    except script.ScriptError as error:
                        result.failures.append(str(error))
                    finally:
                        await app.updater.stop()
                        await app.stop()
                result.patients = _summaries(store, stage, clinic, speed, patient_scripts, patient_users,
                                             staff_users, staff_scripts)
            finally:
                store.close()
            result.violations = len(emu.violations)
            result.api_calls = len(emu.calls)
            result.failures += [f"the emulator saw a violation: {v}" for v in emu.violations]
        result.errors_logged = len(logs.errors)
        result.failures += [f"the bot logged an error: {line}" for line in logs.errors]
    result.failures += _check(result, patient_scripts, staff_scripts, patient_logs, acknowledged)
    result.seconds = time.monotonic() - started
    console.print(summary_table(result, options))
    return result


def check_options(options: DemoOptions) -> str | None:
    if not 0 < options.speed <= max_speed():
        return (f"--speed must be above 0 and at most {max_speed():g}: faster leaves under {MIN_GAP_SECONDS:g} s"
                " between check-ins, less than a patient needs to answer one at Telegram's pace of about one"
                " message a second per chat (--fast runs the whole clock faster instead)")
    return None


def max_speed() -> float:
    gap = min(b - a for a, b in zip(_hours(CHECKINS), _hours(CHECKINS)[1:]))
    return gap * 3600 / MIN_GAP_SECONDS


def _hours(checkins: tuple[str, ...]) -> list[float]:
    return [float(c.removesuffix("h")) for c in checkins]


async def _all_or_nothing(coroutines: list) -> None:
    """Run the actors together; the first failure cancels the rest, and none is left running."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _settle(store: Store, loop: asyncio.AbstractEventLoop, deadline_at: float) -> None:
    """Wait for the follow-ups to finish and the outbox to empty (acknowledgement edits are paced)."""
    def done() -> bool:
        sessions = list(store.db.query("SELECT status FROM sessions"))
        return store.unsent() == 0 and all(s["status"] == "completed" for s in sessions)

    while not done():
        if loop.time() > deadline_at:
            raise script.ScriptError("the follow-ups did not finish, or the outbox did not empty, in time")
        await asyncio.sleep(0.05)


def _summaries(store: Store, stage: script.Stage, clinic: Any, speed: float, scripts: list[script.PatientScript],
               users: list[User], staff_users: list[User], staff_scripts: list[script.StaffScript]) -> list[PatientSummary]:
    staff_names = {u.id: f"{s.first_name} {s.last_name}" for u, s in zip(staff_users, staff_scripts)}
    reminder = stage.labels.message("alert_renotify_prefix")
    ack = stage.labels.message("alert_ack_button")
    out = []
    for p, user in zip(scripts, users):
        patient = store.patient_by_telegram(user.id)
        session = store.current_session(patient["id"]) if patient else None
        if session is None:
            out.append(PatientSummary(p.name, _session(p), 0, 0, [], None, [], None))
            continue
        checkins = store.checkins(session["id"])
        by_id = {c["id"]: c for c in checkins}
        assessments = store.assessments(session["id"])
        buckets = []
        for a in assessments:
            when = f"{by_id[a['checkin_id']]['hours']:g}h" if a["checkin_id"] in by_id else f"{a['hours']:.0f}h (words)"
            buckets.append((when, a["bucket"]))
        final = max((a["bucket"] for a in assessments), key=SEVERITY.__getitem__, default=None)
        alerts = []
        for row in store.db.query("SELECT * FROM alerts WHERE session_id = ? ORDER BY id", [session["id"]]):
            acked = row["acknowledged_at"]
            told = [f"{stage.display.looks[chat].label.split(' ')[0]}{' (reminder)' if seen.text.startswith(reminder) else ''}"
                    for chat, seen in stage.journal
                    if chat in staff_names and seen.event == "sent" and seen.has(ack) and _names(seen.text, p.name)]
            alerts.append(AlertSummary(
                row["bucket"], (row["created_at"] - session["treated_at"]) * speed / 3600,
                staff_names.get(row["acknowledged_by"], str(row["acknowledged_by"])) if row["acknowledged_by"] else None,
                (acked - row["created_at"]) * speed / 60 if acked else None, told))
        out.append(PatientSummary(
            p.name, _session(p), sum(c["sent_at"] is not None for c in checkins),
            sum(c["status"] == "answered" for c in checkins), buckets, final, alerts, session["status"]))
    return out


def _session(p: script.PatientScript) -> str:
    return ", ".join([*(a.replace("_", " ") for a in p.areas), p.intensity, *p.activities])


def _names(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def _check(result: DemoResult, scripts: list[script.PatientScript], staff_scripts: list[script.StaffScript],
           logs: dict[str, script.PatientLog], acknowledged: dict[str, str]) -> list[str]:
    """Every outcome the script expects, as a list of what went otherwise."""
    failures = []
    expected_acks = {name: s for s in staff_scripts for name in s.acknowledges}
    practitioner = next(s for s in staff_scripts if s.role == "practitioner")
    summaries = {p.name: p for p in result.patients}
    for p in scripts:
        summary = summaries.get(p.name)
        log = logs[p.name]
        if summary is None or summary.session_status is None:
            failures.append(f"{p.name}: no follow-up was started")
            continue
        if not log.finished:
            failures.append(f"{p.name}: did not get through the follow-up (check-ins seen: {log.checkins})")
        if summary.session_status != "completed":
            failures.append(f"{p.name}: the follow-up ended {summary.session_status!r}, not completed")
        if summary.checkins_sent != len(CHECKINS) or summary.checkins_answered != len(CHECKINS):
            failures.append(f"{p.name}: {summary.checkins_answered} of {summary.checkins_sent} check-ins answered,"
                            f" expected {len(CHECKINS)} of {len(CHECKINS)}")
        if summary.final_bucket != p.expected_bucket:
            failures.append(f"{p.name}: final bucket {summary.final_bucket}, expected {p.expected_bucket}")
        if p.asks_after and not log.question_answered:
            failures.append(f"{p.name}: her question was not answered")
        want_alert = p.expected_bucket != "normal"
        if len(summary.alerts) != int(want_alert):
            failures.append(f"{p.name}: {len(summary.alerts)} alerts, expected {int(want_alert)}")
            continue
        if not want_alert:
            continue
        alert, staff = summary.alerts[0], expected_acks.get(p.name)
        if alert.bucket != p.expected_bucket:
            failures.append(f"{p.name}: the alert was {alert.bucket}, expected {p.expected_bucket}")
        if staff is not None:
            name = f"{staff.first_name} {staff.last_name}"
            if alert.acknowledged_by != name or acknowledged.get(p.name) != staff.first_name:
                failures.append(f"{p.name}: the alert was acknowledged by {alert.acknowledged_by}, expected {name}")
            if not alert.told or alert.told[0] != practitioner.first_name:
                failures.append(f"{p.name}: the alert did not go first to the session's practitioner ({alert.told})")
            if staff.acknowledges[p.name] == "reminder" and f"{staff.first_name} (reminder)" not in alert.told:
                failures.append(f"{p.name}: the re-notify never reached {staff.first_name} ({alert.told})")
    return failures


# ---- what is printed -------------------------------------------------------------------------

def _header(options: DemoOptions, emu: BotApiEmulator, config: Config, patients: list[script.PatientScript],
            staff: list[script.StaffScript], follow_up_real: float) -> Panel:
    clinic = config.clinics[0]
    text = Text()
    text.append("Aftercare demo", style="bold")
    text.append(": the real bot against the built-in Telegram Bot API emulator on "
                f"{emu.url} (no token, no network; Telegram's flood limits on).\n")
    text.append(f"Clinic {clinic.name}: check-ins at {', '.join(CHECKINS)}; clock_speed {options.speed:g}"
                f"{f' and bot/emulator clocks {options.warp:g}× faster (--fast)' if options.fast else ''}, "
                f"so the 72 h follow-up takes about {follow_up_real:.0f} s.\n")
    text.append("No quiet hours in this demo", style="bold")
    text.append(": check-ins go out whatever the clinic's local time. Alerts not acknowledged within "
                f"{RENOTIFY} go to the next staff member.\n")
    text.append("Staff: " + ", ".join(f"{s.first_name} {s.last_name} ({s.role})" for s in staff) + ".\n")
    text.append("Patients: " + "; ".join(f"{p.name} ({p.story})" for p in patients) + ".\n")
    text.append("Times are hours since treatment, as the bot counts them.", style="dim")
    return Panel(text, expand=False)


SHORT = {"normal": "normal", "contact_practitioner": "contact", "emergency": "emergency"}


def _bucket(bucket: str | None) -> Text:
    return Text(SHORT.get(bucket or "", bucket or "-"), style=BUCKET_STYLES.get(bucket or "", ""))


def summary_table(result: DemoResult, options: DemoOptions) -> Table:
    table = Table(title="Aftercare demo: the day in summary", title_style="bold", show_lines=True)
    table.add_column("Patient", min_width=10)
    table.add_column("Check-ins\nanswered", justify="center")
    table.add_column("Buckets", no_wrap=True)
    table.add_column("Final\n(worst)", no_wrap=True)
    table.add_column("Alerts (nominal time)", ratio=1)
    for p in result.patients:
        buckets = Text("\n").join(Text(f"{when} ").append(_bucket(bucket)) for when, bucket in p.buckets) or Text("-")
        alerts = Text()
        for a in p.alerts:
            if alerts:
                alerts.append("\n")
            alerts.append(_bucket(a.bucket)).append(f" at {a.at_hours:.1f}h to {', '.join(a.told) or 'nobody'}; ")
            alerts.append(f"acknowledged by {a.acknowledged_by} after {a.after_minutes:.0f} min" if a.acknowledged_by
                          else "not acknowledged", style="bold" if a.acknowledged_by else "bold red")
        table.add_row(Text(p.name, style="bold").append(f"\n{p.session}", style="dim"),
                      f"{p.checkins_answered}/{p.checkins_sent}", buckets, _bucket(p.final_bucket), alerts or Text("none"))
    verdict = Text()
    verdict.append(f"Emulator: {result.api_calls} Bot API calls, ")
    verdict.append(f"{result.violations} violations", style="bold green" if result.violations == 0 else "bold red")
    verdict.append(f". Bot errors logged: {result.errors_logged}. Seed {options.seed}; took {result.seconds:.1f} s.\n")
    if result.ok:
        verdict.append("✓ The day played out as scripted.", style="bold green")
    else:
        verdict.append("✗ The day did not play out as scripted:\n", style="bold red")
        verdict.append("\n".join(f"  - {f}" for f in result.failures), style="red")
    table.caption = verdict
    table.caption_justify = "left"
    return table


# ---- the command line ------------------------------------------------------------------------

def main(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """`aftercare demo [--speed N] [--quiet] [--seed N] [--fast]`: 0 when the day went as scripted."""
    options = DemoOptions(speed=args.speed or DEFAULT_SPEED, quiet=args.quiet, seed=args.seed, fast=args.fast)
    problem = check_options(options)
    if problem:
        print(f"aftercare: {problem}", file=sys.stderr)
        return 2
    console = Console(file=out, highlight=False)
    try:
        result = asyncio.run(run_demo(options, console))
    except KeyboardInterrupt:
        print("aftercare: demo interrupted", file=sys.stderr)
        return 130
    return 0 if result.ok else 1
