"""The `aftercare` command line: parses arguments and wires the modules; no logic of its own."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from bot.clinic.backup import BackupError
from bot.guidance.config import LOG_LEVELS, Config, ConfigError, default_guidance_dir, load_config
from bot.cli.config_checks import offline_problems, online_check, token_note, wait_for_telegram
from bot.clinic.enrolment import (
    ACTIVITIES,
    EnrolmentError,
    checked_username,
    create_enrolment,
    deep_link,
    parse_treated_at,
    qr_text,
    write_qr,
)
from bot.triage.cases import CaseError, evaluate, read_cases
from bot.guidance.loader import INTENSITIES, Guidance, load_guidance
from bot.guidance.toml_doc import GuidanceError
from bot.cli.config_summary import summarise
from bot.triage.engine import Context, Reply, triage


def _guidance(path: str | None) -> Guidance:
    return load_guidance(Path(path) if path else default_guidance_dir())


def _cannot_start(config: Config) -> bool:
    """Say, one line each, what would stop the bot from starting (bot/cli/config_checks.py)."""
    problems = offline_problems(config)
    for problem in problems:
        print(f"aftercare: {problem}", file=sys.stderr)
    return bool(problems)


def check_config(args: argparse.Namespace, out: TextIO) -> int:
    """Validate the config and every clinic's guidance, check that the bot could start (the
    token with Telegram too, with --online), then print what the bot would do."""
    config = load_config(args.config)
    if _cannot_start(config):
        return 2
    print(summarise(config, datetime.now(timezone.utc)), file=out)
    for clinic in config.clinics:
        guidance = load_guidance(clinic.guidance_dir or default_guidance_dir())
        print(
            f"Guidance for {clinic.id}: {guidance.root}\n"
            f"  {len(guidance.rules)} rules, {len(guidance.lexicon.findings)} findings, "
            f"{len(guidance.questions)} questions, {len(guidance.tips)} tips, "
            f"languages {', '.join(sorted(guidance.messages))}",
            file=out,
        )
    note = token_note(config)
    if args.online:
        if note:
            raise ConfigError(config.path, "telegram.token_file", note)
        print(f"Telegram accepts the token: the bot is @{online_check(config)}", file=out)
    elif note:
        print(note, file=out)
    print("OK", file=out)
    return 0


def run_triage(args: argparse.Namespace, out: TextIO) -> int:
    """Triage one reply (as the answer to the check-in at --hours), or a JSONL file of cases
    with a summary against `expected`: exit 1 when any case misses, so a clinic's CI can refuse
    a guidance edit that breaks its own cases."""
    from bot.clinic.enrolment import resolve_areas

    guidance = _guidance(args.guidance)
    if args.cases:
        cases = read_cases(Path(args.cases))
        report = evaluate(cases, guidance)
        for result in report.results:
            print(json.dumps(result, ensure_ascii=False), file=out)
        if report.labelled:
            print(report.summary(), file=sys.stderr)
        return 1 if report.misses else 0
    if not args.text:
        raise CaseError("give the reply text, or --cases FILE")
    areas = tuple(resolve_areas(guidance, args.area)) if args.area else ()  # none given: unknown (A3)
    context = Context(hours=args.hours, areas=areas, intensity=args.intensity,
                      activities=tuple(args.activity))
    print(json.dumps(triage(Reply(" ".join(args.text)), context, guidance).as_dict(), ensure_ascii=False), file=out)
    return 0


def run_bot(args: argparse.Namespace, out: TextIO) -> int:
    """Start the bot: poll Telegram until SIGINT or SIGTERM."""
    from bot.telegram.app import run

    from bot.privacy.logs import configure

    config = load_config(args.config)
    if _cannot_start(config):
        return 2
    configure(getattr(logging, (args.log_level or config.log_level).upper()))
    wait_for_telegram(config, logging.getLogger("bot.start"))
    run(config)
    return 0


def enrol(args: argparse.Namespace, out: TextIO) -> int:
    """Create a one-time enrolment link for a session, print it and its QR code (to a file, the
    terminal, or not at all), or all of it as JSON for scripts."""
    from bot.store.database import Store

    config = load_config(args.config)
    telegram = config.telegram
    name = args.bot_username or telegram.bot_username or os.environ.get("AFTERCARE_BOT_USERNAME", "")
    if not name:
        raise EnrolmentError("give the bot's username with --bot-username, telegram.bot_username in the "
                             "config, or AFTERCARE_BOT_USERNAME")
    username, warning = checked_username(name, telegram.api_base_url, telegram.token() if telegram.has_token else None)
    if warning:
        print(f"aftercare: {warning}", file=sys.stderr)
    clinic = config.clinic(args.clinic)
    now = time.time()
    treated_at = now if args.treated_at is None else parse_treated_at(args.treated_at, clinic)
    store = Store(config.storage.database)
    try:
        enrolment = create_enrolment(store, clinic, args.area, args.intensity, args.activity, args.first_session,
                                     treated_at, args.practitioner, now)
    finally:
        store.close()
    link = deep_link(username, enrolment.token)
    expires = datetime.fromtimestamp(enrolment.expires_at, clinic.timezone)
    if not args.json:
        print(link, file=out)
    qr: Path | None = None
    if args.qr == "-":
        if not args.json:
            print(qr_text(link), file=out)
    elif not args.no_qr:
        try:
            qr = write_qr(link, args.qr or f"enrol-{enrolment.token[:8]}.png")
        except EnrolmentError as error:
            print(f"aftercare: {error} (the link works without it)", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps({"link": link, "expires_at": expires.isoformat(), "qr": str(qr) if qr else None}), file=out)
        return 0
    if qr is not None:
        print(f"QR code: {qr}", file=out)
    print(f"Expires: {expires:%Y-%m-%d %H:%M %Z}", file=out)
    return 0


def backup(args: argparse.Namespace, out: TextIO) -> int:
    """Copy the database consistently while the bot runs (SQLite's online backup)."""
    from bot.clinic.backup import back_up

    back_up(load_config(args.config).storage.database, Path(args.to), args.force)
    print(f"backed up to {args.to}", file=out)
    return 0


def _since(text: str):
    """--since: a duration such as 30d or 12h (bot/guidance/durations.py)."""
    from bot.guidance.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def report(args: argparse.Namespace, out: TextIO) -> int:
    """Write a CSV of a clinic's recent follow-ups (one row per check-in, no free text) and print a summary."""
    from bot.privacy.private_files import write_private
    from bot.clinic.report import build_report, csv_text, default_csv_path, format_summary
    from bot.store.database import Store

    config = load_config(args.config)
    clinic = config.clinic(args.clinic)
    if not Path(config.storage.database).is_file():
        print(f"aftercare: no database at {config.storage.database}", file=sys.stderr)
        return 2
    now = time.time()
    store = Store(config.storage.database)
    try:
        result = build_report(store, clinic, args.since, now)
    finally:
        store.close()
    path = write_private(args.csv or default_csv_path(clinic, now), csv_text(result.rows))
    print(format_summary(result), file=out)
    print(f"CSV: {path}", file=out)
    return 0


def export_fhir(args: argparse.Namespace, out: TextIO) -> int:
    """Write a FHIR R4 Bundle of one patient's follow-ups, or of every patient of the clinic."""
    from bot.clinic.fhir import ExportError, bundle, default_out_path
    from bot.privacy.private_files import write_private
    from bot.store.database import Store

    config = load_config(args.config)
    clinic = config.clinic(args.clinic)
    if not Path(config.storage.database).is_file():
        print(f"aftercare: no database at {config.storage.database}", file=sys.stderr)
        return 2
    guidance = load_guidance(clinic.guidance_dir or default_guidance_dir())
    now = time.time()
    store = Store(config.storage.database)
    try:
        result = bundle(store, guidance, clinic, now, args.patient)
    except ExportError as error:
        print(f"aftercare: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if args.out == "-":
        out.write(text)
        return 0
    path = write_private(args.out or default_out_path(clinic, now, args.patient), text)
    print(f"FHIR R4 Bundle ({len(result['entry'])} resources): {path}", file=out)
    return 0


def demo(args: argparse.Namespace, out: TextIO) -> int:
    """Play a clinic day against the built-in Bot API emulator: no token, no network."""
    from bot.demo.run import main as demo_main

    return demo_main(args, out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftercare", description="Follow-up after dry needling, over Telegram.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-config", help="validate a config file and its guidance")
    check.add_argument("--config", required=True, help="the clinic's TOML config")
    check.add_argument("--online", action="store_true", help="also ask Telegram whether the token works (getMe)")
    check.set_defaults(handler=check_config)

    run_cmd = commands.add_parser("run", help="run the bot (polling)")
    run_cmd.add_argument("--config", required=True, help="the clinic's TOML config")
    run_cmd.add_argument("--log-level", choices=LOG_LEVELS,
                         help="how much to log (default: [logging] level in the config, else info); "
                         "no level logs patients' words or names")
    run_cmd.set_defaults(handler=run_bot)

    backup_cmd = commands.add_parser("backup", help="copy the database consistently while the bot runs")
    backup_cmd.add_argument("--config", required=True, help="the clinic's TOML config")
    backup_cmd.add_argument("--to", required=True, help="the copy's path (its folder must exist)")
    backup_cmd.add_argument("--force", action="store_true", help="replace the file at --to if there is one")
    backup_cmd.set_defaults(handler=backup)

    rep = commands.add_parser("report", help="CSV of a clinic's recent follow-ups and a summary (no free text)")
    rep.add_argument("--config", required=True, help="the clinic's TOML config")
    rep.add_argument("--clinic", required=True, help="the clinic's id")
    rep.add_argument("--since", required=True, type=_since, help="follow-ups treated within this long, e.g. 30d or 12h")
    rep.add_argument("--csv", help="where to write the CSV (default ./report-<clinic>-<date>.csv)")
    rep.set_defaults(handler=report)

    fhir_cmd = commands.add_parser("export-fhir", help="export follow-ups as a FHIR R4 Bundle (JSON)")
    fhir_cmd.add_argument("--config", required=True, help="the clinic's TOML config")
    fhir_cmd.add_argument("--clinic", required=True, help="the clinic's id")
    fhir_cmd.add_argument("--patient", type=int, help="one patient's id (default: every patient, in one Bundle)")
    fhir_cmd.add_argument("--out", help="where to write the JSON, - for stdout (default ./fhir-<clinic>-<who>-<date>.json)")
    fhir_cmd.set_defaults(handler=export_fhir)

    tri = commands.add_parser("triage", help="triage a reply, or regression-test guidance with --cases")
    tri.add_argument("text", nargs="*", help="the patient's reply")
    tri.add_argument("--hours", type=float, default=24.0, help="hours since the session (default 24)")
    tri.add_argument("--area", action="append", default=[],
                     help="treated area, id or alias (repeatable; none given: unknown, so thoracic-risk)")
    tri.add_argument("--intensity", choices=("light", "moderate", "heavy"))
    tri.add_argument("--activity", action="append", default=[], help="running, gym (repeatable)")
    tri.add_argument("--cases", help="JSONL with text, hours, area and optionally expected")
    tri.add_argument("--guidance", help="guidance folder (default: the shipped one)")
    tri.set_defaults(handler=run_triage)

    enr = commands.add_parser("enrol", help="create a one-time enrolment link and QR code for a session")
    enr.add_argument("--config", required=True, help="the clinic's TOML config")
    enr.add_argument("--clinic", required=True, help="the clinic's id")
    enr.add_argument("--area", action="append", required=True, help="treated area, id or alias (repeatable)")
    enr.add_argument("--intensity", required=True, choices=INTENSITIES)
    enr.add_argument("--activity", action="append", default=[], choices=ACTIVITIES, help="repeatable")
    first = enr.add_mutually_exclusive_group()
    first.add_argument("--first-session", dest="first_session", action="store_const", const=True, default=None,
                       help="the patient's first dry needling session")
    first.add_argument("--repeat-session", dest="first_session", action="store_const", const=False,
                       help="the patient has had dry needling before")
    enr.add_argument("--treated-at", help="ISO time of the treatment (default now; without an offset: clinic time)")
    enr.add_argument("--practitioner", type=int, help="Telegram id of the treating practitioner (gets the alerts)")
    qr = enr.add_mutually_exclusive_group()
    qr.add_argument("--qr", help="where to write the QR code PNG (default ./enrol-<token start>.png); "
                    "- draws it in the terminal")
    qr.add_argument("--no-qr", action="store_true", help="write no QR code (the link alone)")
    enr.add_argument("--bot-username", help="the bot's @username (default: telegram.bot_username in the "
                     "config, else $AFTERCARE_BOT_USERNAME); checked with getMe when a token is configured")
    enr.add_argument("--json", action="store_true",
                     help="print the link, its expiry and the QR file (null with --no-qr or --qr -) as JSON")
    enr.set_defaults(handler=enrol)

    dem = commands.add_parser("demo", help="play a clinic day against the built-in Telegram emulator (no token needed)")
    dem.add_argument("--speed", type=float, help="the clinic's clock_speed (default 3600: the 72 h follow-up in 72 s)")
    dem.add_argument("--quiet", action="store_true", help="print only the summary, not the chats")
    dem.add_argument("--seed", type=int, default=1, help="varies the patients' answers and staff timing (default 1)")
    dem.add_argument("--fast", action="store_true", help="the same day in a few seconds (for tests)")
    dem.set_defaults(handler=demo)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, out)
    except (ConfigError, GuidanceError, CaseError, EnrolmentError, BackupError) as error:
        print(f"aftercare: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left early (`check-config | head`); stdout is closed so that exiting
        # does not fail again while flushing it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("aftercare: standard output was closed early (broken pipe)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
