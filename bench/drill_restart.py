"""Restart drill: SIGKILL the real bot at random moments during a burst of due check-ins.

    .venv/bin/python bench/drill_restart.py [--patients 300] [--kills 20] [--seed 1] [--timeout 60]
                                            [--latency LOW HIGH] [--second-after SECONDS] [--keep]

The Bot API emulator (Telegram's rate limits on) runs in this process; the bot runs as a child
process (`python -m bot run --config ...`) polling it. Every patient has a check-in due now.
The bot is killed `--kills` times and restarted each time; the kill moments are drawn from a
seeded RNG and spread over the burst, three kinds mixed:

  startup     a random moment in the first 1.5 s of a run: while importing, initialising,
              re-queuing interrupted messages or claiming the first due check-ins;
  at-send     inside the emulator, at the instant it accepts the n-th check-in message and before
              the bot reads the answer: the worst case, it must cost exactly one duplicate;
  after-send  a few milliseconds after the n-th accepted message: between the answer and the
              row being marked sent, or in the next claim.

Telegram answers each send after a random 0.1-0.3 s (`--latency`; `--latency 0 0` for none), as
over a real network: the message is delivered at once, the bot hears so later. Every send in
flight at a kill was taken by Telegram and is sent again after the restart: a duplicate. So
duplicates per kill are about the sends in flight, which is what the bot's pace and its start
(few sends in flight until Telegram has answered) decide; they are counted per kind of kill.

The last run goes on until every check-in has arrived (or `--timeout`), then gets SIGTERM and
must exit 0 within 5 s. The verdict comes from the emulator's record (each check-in message is
matched to its check-in by the row id in its buttons), cross-checked with the database.
Exits 1 if a check-in was lost, a run crashed, the database was left inconsistent or the final
stop was not clean. Duplicates are reported, per kill and by kind of kill.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import kill_drill_arguments, parse_kill_drill, print_table, report_problems
from tests.drills.restart import LATENCY, MODES, DrillResult, run_restart_drill


def table(result: DrillResult, seed: int) -> None:
    v, db = result.verdict, result.database
    modes = {m: sum(1 for r in result.records if r.kill.mode == m and r.crashed is None) for m in MODES}
    mid = sum(1 for r in result.records if r.mid_burst)
    stop = "exit 0" if result.final_code == 0 else f"exit {result.final_code}"
    print_table(
        f"Restart drill: {result.patients} patients, seed {seed}",
        [
            ("patients / check-ins due", f"{result.patients} / {result.checkins}"),
            (
                "kills (startup / at-send / after-send)",
                f"{result.kills} ({modes['startup']} / {modes['at-send']} / {modes['after-send']})",
            ),
            ("kills mid-burst", mid),
            ("check-ins delivered", f"{v.delivered} / {v.expected}"),
            ("not sent on purpose (missed by outage)", len(db.not_sent_on_purpose)),
            ("lost", v.lost),
            ("Telegram's answer to a send", f"{result.latency[0]:.1f}-{result.latency[1]:.1f} s"),
            ("duplicated", f"{v.duplicated} ({v.duplicated / max(1, result.kills):.2f} per kill)"),
            (
                "duplicates by kill (startup / at-send / after-send / last run)",
                " / ".join(str(result.duplicates_by_mode[m]) for m in (*MODES, "last run")),
            ),
            ("interrupted sends re-queued at start", result.requeued),
            ("sendMessage accepted (to patients)", v.accepted_sends),
            ("429s from the emulator", v.too_many_requests),
            ("other Telegram errors caused", len(v.violations)),
            ("database: check-ins / check-in outbox", f"{dict(db.statuses)} / {dict(db.outbox)}"),
            ("final SIGTERM", f"{stop} in {result.final_stop_seconds:.2f} s"),
            ("burst (first start to last check-in)", f"{result.burst_seconds:.1f} s"),
            ("elapsed", f"{result.elapsed:.1f} s"),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = kill_drill_arguments(__doc__, 300, 60.0, "seconds the last run gets to finish the burst")
    parser.add_argument(
        "--latency",
        type=float,
        nargs=2,
        default=LATENCY,
        metavar=("LOW", "HIGH"),
        help="seconds Telegram takes to answer each send (default 0.1 0.3)",
    )
    parser.add_argument(
        "--second-after",
        type=float,
        default=None,
        help="give each patient a second check-in due this many seconds after the first",
    )
    args = parse_kill_drill(parser, argv)
    result = asyncio.run(
        run_restart_drill(
            args.patients,
            args.kills,
            args.seed,
            args.timeout,
            args.second_after,
            args.keep,
            verbose=True,
            latency=tuple(args.latency),
        )
    )
    table(result, args.seed)
    return report_problems(result.problems)


if __name__ == "__main__":
    sys.exit(main())
