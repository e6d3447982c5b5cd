"""Fault drills: Telegram or the database fails during a burst of due check-ins.

    .venv/bin/python bench/drill_faults.py [--only NAME[,NAME...]] [--patients 200]
        [--five-hundred-seconds 60] [--storm-seconds 30] [--retry-after 5]
        [--slow-seconds 30] [--delay 10] [--lock-seconds 5] [--disk-seconds 10]
        [--disk-method auto|tmpfs|fsize] [--keep DIR]

Drills (NAME): five-hundred (the Bot API answers 500), storm-429 (every send answered 429 with
retry_after), slow (sendMessage answered 10 s late: PTB times out after 5 s although Telegram
took the message), db-locked (another process holds BEGIN EXCLUSIVE on the database),
disk-full (the filesystem under the database fills up, then space comes back).

Each seeds `--patients` due check-ins, starts the real bot (`python -m bot run`) against the
Bot API emulator on 127.0.0.1, begins the fault once a tenth of the burst has arrived, ends it,
and lets the bot finish. It prints sent / lost / duplicated (from the emulator's record), 429s,
the calls the bot made during the fault, the bot's own log lines about it, and whether every
check-in arrived after the fault within a bounded time. Exits 1 if a check-in was lost, the bot
did not recover by itself, did not say what was wrong (or leaked the token or a patient's text
into its log), hammered the API during a 429 storm, or left the database inconsistent.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import print_table, report_problems
from tests.drills.faults import Fault, FaultResult, common_figures, run_fault_drill
from tests.drills.injectors import DatabaseLocked, DiskFull, RateLimitStorm, ServerErrors, SlowReplies

ORDER = ("five-hundred", "storm-429", "slow", "db-locked", "disk-full")


def faults(args: argparse.Namespace) -> dict[str, Fault]:
    return {
        "five-hundred": ServerErrors(args.five_hundred_seconds),
        "storm-429": RateLimitStorm(args.storm_seconds, args.retry_after),
        "slow": SlowReplies(args.slow_seconds, args.delay),
        "db-locked": DatabaseLocked(args.lock_seconds),
        "disk-full": DiskFull(args.disk_seconds, args.disk_method),
    }


def table(result: FaultResult) -> None:
    rows = common_figures(result)
    rows[-2:-2] = result.fault.figures(result)
    print_table(f"Fault drill: {result.fault.name}", rows)
    for line in result.said[:6]:
        print(f"    bot said: {line.split('logger=', 1)[-1][:160]}")
    if len(result.said) > 6:
        print(f"    ... and {len(result.said) - 6} more such lines")


async def run_all(names: list[str], args: argparse.Namespace) -> list[FaultResult]:
    chosen = faults(args)
    results = []
    for name in names:
        folder = Path(args.keep) / name if args.keep else None
        print(f"-- {name}: {chosen[name].title} ...", file=sys.stderr, flush=True)
        result = await run_fault_drill(chosen[name], args.patients, folder)
        table(result)
        report_problems(result.problems, name)
        print()
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help=f"comma-separated drills among {', '.join(ORDER)}")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--five-hundred-seconds", type=float, default=60.0)
    parser.add_argument("--storm-seconds", type=float, default=30.0)
    parser.add_argument("--retry-after", type=int, default=5)
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    parser.add_argument(
        "--delay", type=float, default=10.0, help="seconds each sendMessage answer is held back"
    )
    parser.add_argument("--lock-seconds", type=float, default=5.0)
    parser.add_argument("--disk-seconds", type=float, default=10.0)
    parser.add_argument("--disk-method", choices=("auto", "tmpfs", "fsize"), default="auto")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep each drill's config, database and bot logs in DIR/NAME"
    )
    args = parser.parse_args(argv)
    names = ORDER if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        parser.error(f"unknown drill {unknown}; choose among {', '.join(ORDER)}")
    if args.patients < 20:
        parser.error("need at least 20 patients (the fault begins once a tenth has arrived)")
    results = asyncio.run(run_all(list(names), args))
    failed = [r.fault.name for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)} of {len(results)} drills passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
