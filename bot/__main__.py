"""The `aftercare` command line: parses arguments and wires them to the commands.

Each command lives in bot/cli/ under the name of what it does; `run` and `demo` start the bot
and the demo, which sit above bot/cli (bot/telegram, bot/demo), so they are wired here. Imports
anything of the bot; nothing imports it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TextIO

from bot.cli.check_config import check_config
from bot.cli.enrol import USERNAME_ENV, enrol
from bot.cli.exports import backup, export_fhir, report
from bot.cli.start import ready_to_run
from bot.cli.triage_reply import run_triage
from bot.clinic.backup import BackupError
from bot.clinic.enrolment import ACTIVITIES, EnrolmentError
from bot.guidance.config import LOG_LEVELS, ConfigError
from bot.guidance.durations import parse_duration
from bot.guidance.model import INTENSITIES
from bot.guidance.toml_doc import GuidanceError
from bot.triage.cases import CaseError

CONFIG_HELP = "the clinic's TOML config"
CLINIC_HELP = "the clinic's id"


def run_bot(args: argparse.Namespace, out: TextIO) -> int:
    """Start the bot: poll Telegram (or serve its webhook) until SIGINT or SIGTERM; and the web
    worklist when [web] is set."""
    from bot.telegram.app import run
    from bot.web.server import start as start_web

    config = ready_to_run(args)
    if config is None:
        return 2
    run(config, start_web if config.web.enabled else None)
    return 0


def demo(args: argparse.Namespace, out: TextIO) -> int:
    """Play a clinic day against the built-in Bot API emulator: no token, no network."""
    from bot.demo.run import main as demo_main

    return demo_main(args, out)


def _since(text: str) -> timedelta:
    """--since: a duration such as 30d or 12h (bot/guidance/durations.py)."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _check_config_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("--config", required=True, help=CONFIG_HELP)
    check.add_argument(
        "--online", action="store_true", help="also ask Telegram whether the token works (getMe)"
    )
    check.set_defaults(handler=check_config)


def _run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--config", required=True, help=CONFIG_HELP)
    run.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help="how much to log (default: [logging] level in the config, else info); "
        "no level logs patients' words or names",
    )
    run.set_defaults(handler=run_bot)


def _backup_arguments(backup_cmd: argparse.ArgumentParser) -> None:
    backup_cmd.add_argument("--config", required=True, help=CONFIG_HELP)
    backup_cmd.add_argument("--to", required=True, help="the copy's path (its folder must exist)")
    backup_cmd.add_argument("--force", action="store_true", help="replace the file at --to if there is one")
    backup_cmd.set_defaults(handler=backup)


def _report_arguments(rep: argparse.ArgumentParser) -> None:
    rep.add_argument("--config", required=True, help=CONFIG_HELP)
    rep.add_argument("--clinic", required=True, help=CLINIC_HELP)
    rep.add_argument(
        "--since", required=True, type=_since, help="follow-ups treated within this long, e.g. 30d or 12h"
    )
    rep.add_argument("--csv", help="where to write the CSV (default ./report-<clinic>-<date>.csv)")
    rep.set_defaults(handler=report)


def _export_fhir_arguments(fhir: argparse.ArgumentParser) -> None:
    fhir.add_argument("--config", required=True, help=CONFIG_HELP)
    fhir.add_argument("--clinic", required=True, help=CLINIC_HELP)
    fhir.add_argument("--patient", type=int, help="one patient's id (default: every patient, in one Bundle)")
    fhir.add_argument(
        "--out", help="where to write the JSON, - for stdout (default ./fhir-<clinic>-<who>-<date>.json)"
    )
    fhir.set_defaults(handler=export_fhir)


def _triage_arguments(tri: argparse.ArgumentParser) -> None:
    tri.add_argument("text", nargs="*", help="the patient's reply")
    tri.add_argument("--hours", type=float, default=24.0, help="hours since the session (default 24)")
    tri.add_argument(
        "--area",
        action="append",
        default=[],
        help="treated area, id or alias (repeatable; none given: unknown, so thoracic-risk)",
    )
    tri.add_argument("--intensity", choices=("light", "moderate", "heavy"))
    tri.add_argument("--activity", action="append", default=[], help="running, gym (repeatable)")
    tri.add_argument("--cases", help="JSONL with text, hours, area and optionally expected")
    tri.add_argument("--guidance", help="guidance folder (default: the shipped one)")
    tri.set_defaults(handler=run_triage)


def _enrol_arguments(enr: argparse.ArgumentParser) -> None:
    enr.add_argument("--config", required=True, help=CONFIG_HELP)
    enr.add_argument("--clinic", required=True, help=CLINIC_HELP)
    enr.add_argument("--area", action="append", required=True, help="treated area, id or alias (repeatable)")
    enr.add_argument("--intensity", required=True, choices=INTENSITIES)
    enr.add_argument("--activity", action="append", default=[], choices=ACTIVITIES, help="repeatable")
    first = enr.add_mutually_exclusive_group()
    first.add_argument(
        "--first-session",
        dest="first_session",
        action="store_const",
        const=True,
        default=None,
        help="the patient's first dry needling session",
    )
    first.add_argument(
        "--repeat-session",
        dest="first_session",
        action="store_const",
        const=False,
        help="the patient has had dry needling before",
    )
    enr.add_argument(
        "--treated-at", help="ISO time of the treatment (default now; without an offset: clinic time)"
    )
    enr.add_argument(
        "--practitioner", type=int, help="Telegram id of the treating practitioner (gets the alerts)"
    )
    enr.add_argument(
        "--reference",
        help="the clinic's own reference for the patient (e.g. a file number; at most 40 characters): "
        "shown to staff in alerts, never put in the link",
    )
    qr = enr.add_mutually_exclusive_group()
    qr.add_argument(
        "--qr",
        help="where to write the QR code PNG (default ./enrol-<token start>.png); - draws it in the terminal",
    )
    qr.add_argument("--no-qr", action="store_true", help="write no QR code (the link alone)")
    enr.add_argument(
        "--card",
        metavar="PATH",
        help="also write a printable A6 card (PNG at 300 dpi, PATH ends in .png): the clinic's name, "
        "the QR code, how to use it, the expiry and the emergency number",
    )
    enr.add_argument(
        "--bot-username",
        help="the bot's @username (default: telegram.bot_username in the "
        f"config, else ${USERNAME_ENV}); checked with getMe when a token is configured",
    )
    enr.add_argument(
        "--json",
        action="store_true",
        help="print the link, its expiry, the QR file (null with --no-qr or --qr -) and the card file "
        "(null without --card) as JSON",
    )
    enr.set_defaults(handler=enrol)


def _demo_arguments(dem: argparse.ArgumentParser) -> None:
    dem.add_argument(
        "--speed", type=float, help="the clinic's clock_speed (default 3600: the 72 h follow-up in 72 s)"
    )
    dem.add_argument("--quiet", action="store_true", help="print only the summary, not the chats")
    dem.add_argument(
        "--seed", type=int, default=1, help="varies the patients' answers and staff timing (default 1)"
    )
    dem.add_argument("--fast", action="store_true", help="the same day in a few seconds (for tests)")
    dem.add_argument(
        "--web",
        action="store_true",
        help="then keep the web worklist running on the day's data, with a sign-in link, until Ctrl-C",
    )
    dem.set_defaults(handler=demo)


# (name, help, what adds its arguments and handler), in the order `aftercare --help` lists them
SUBCOMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("check-config", "validate a config file and its guidance", _check_config_arguments),
    ("run", "run the bot (polling, or by webhook: [telegram] mode)", _run_arguments),
    ("backup", "copy the database consistently while the bot runs", _backup_arguments),
    ("report", "CSV of a clinic's recent follow-ups and a summary (no free text)", _report_arguments),
    ("export-fhir", "export follow-ups as a FHIR R4 Bundle (JSON)", _export_fhir_arguments),
    ("triage", "triage a reply, or regression-test guidance with --cases", _triage_arguments),
    ("enrol", "create a one-time enrolment link and QR code for a session", _enrol_arguments),
    ("demo", "play a clinic day against the built-in Telegram emulator (no token needed)", _demo_arguments),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aftercare", description="Follow-up after dry needling, over Telegram."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text, add_arguments in SUBCOMMANDS:
        add_arguments(commands.add_parser(name, help=help_text))
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
