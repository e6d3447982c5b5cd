"""What the drills print: their table in Markdown, so it can go straight into bench/README.md,
their problems, and the exit code."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path


def print_table(title: str, rows: Iterable[tuple[str, object]]) -> None:
    rows = [(str(k), str(v)) for k, v in rows]
    print(title)
    print()
    print("| figure | value |")
    print("|---|---|")
    for key, value in rows:
        print(f"| {key} | {value} |")


def report_problems(problems: list[str], name: str = "") -> int:
    """Print each problem; the exit code: 1 when there is one."""
    label = f"PROBLEM ({name})" if name else "PROBLEM"
    for problem in problems:
        print(f"\n{label}: {problem}")
    return 1 if problems else 0


def kill_drill_arguments(
    doc: str | None, patients: int, timeout: float, timeout_help: str
) -> argparse.ArgumentParser:
    """The options every kill drill takes: patients, kills, seed, timeout and a folder to keep."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=patients)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=timeout, help=timeout_help)
    parser.add_argument(
        "--keep", metavar="DIR", type=Path, help="keep config, database and the bot's logs in DIR"
    )
    return parser


def parse_kill_drill(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.patients < 2 or args.kills < 1:
        parser.error("need at least 2 patients and 1 kill")
    return args
