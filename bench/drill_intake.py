"""Intake drill: patients write while the real bot is SIGKILLed; no message may be lost.

    .venv/bin/python bench/drill_intake.py [--patients 200] [--kills 20] [--seed 1] [--timeout 90]
                                           [--keep DIR]

The Bot API emulator (Telegram's limits on) runs in this process; the bot runs as a child process
(`python -m bot run --config ...`) polling it. Every patient is in follow-up, no check-in due. For
each kill: the bot starts; once it polls, a round begins in which a random group of patients
write one to three messages each within 0.3 s, and the bot is SIGKILLed, two kinds mixed:

  round     0.05-0.6 s into the round, as issue 12 measured it (half a round lost);
  at-fetch  a larger round is written while the bot is down; its first getUpdates fetches the
            backlog, its next one confirms it, and 0-10 ms later the bot is killed, before it
            has handled it all (without the inbox, the rest is lost).

Patients still writing after the kill write to a bot that is down.
After the last kill the bot runs until every message is stored, assessed and answered, then
gets SIGTERM and must exit 0 within 5 s.

The verdict joins the emulator's record (what each patient wrote and saw) with the database:
every message stored and assessed, every patient answered after their last message (a burst may
get one answer), the inbox empty. "Kept by the inbox" counts messages Telegram had been told
were received (their offset confirmed) but the bot had not stored when it was killed: without
the inbox each of those is lost (bench/README.md has a run without it). Duplicate answers are
counted, at most one per kill allowed.
Exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import kill_drill_arguments, parse_kill_drill, print_table, report_problems
from tests.drills.intake import IntakeResult, run_intake_drill


def _span(result: IntakeResult, mode: str) -> str:
    at = [r.kill_after for r in result.records if r.mode == mode]
    return f"{min(at):.2f}-{max(at):.2f}" if at else "-"


def table(result: IntakeResult, seed: int) -> None:
    modes = Counter(r.mode for r in result.records if r.crashed is None)
    print_table(
        f"Intake drill: {result.patients} patients, seed {seed}",
        [
            ("patients who wrote / messages written", f"{result.writers} / {result.written}"),
            (
                "kills (round: s into it / at-fetch: s after start)",
                f"{result.kills} ({modes['round']}: {_span(result, 'round')} / "
                f"{modes['at-fetch']}: {_span(result, 'at-fetch')})",
            ),
            ("confirmed to Telegram but not yet stored at a kill (kept by the inbox)", result.kept_by_inbox),
            ("messages stored", f"{result.stored} / {result.written} (twice: {result.stored_twice})"),
            ("messages assessed", f"{result.assessed} / {result.written} (twice: {result.assessed_twice})"),
            ("lost", len(result.lost)),
            (
                "patients answered after their last message",
                f"{result.writers - len(result.unanswered)} / {result.writers}",
            ),
            ("answers the patients received", result.answers),
            (
                "duplicate answers (same answer resent / message answered again)",
                f"{result.duplicates} ({result.answers_resent} / {result.answers_replayed}); <= 1 per kill: "
                f"{'yes' if result.duplicates <= result.kills else 'NO'}",
            ),
            ("updates handled from the inbox at a start", result.replayed),
            ("updates Telegram handed over again, skipped", result.resent_skipped),
            ("interrupted sends re-queued at start", result.requeued),
            ("inbox / outbox to patients left at the end", f"{result.inbox_left} / {result.unsent}"),
            ("429s from the emulator", result.too_many_requests),
            ("other Telegram errors caused", len(result.violations)),
            ("last run: settled in", f"{result.settle_seconds:.1f} s"),
            ("final SIGTERM", f"exit {result.final_code} in {result.final_stop_seconds:.2f} s"),
            ("elapsed", f"{result.elapsed:.1f} s"),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = kill_drill_arguments(__doc__, 200, 90.0, "seconds the last run gets to settle")
    args = parse_kill_drill(parser, argv)
    result = asyncio.run(
        run_intake_drill(args.patients, args.kills, args.seed, args.timeout, args.keep, verbose=True)
    )
    table(result, args.seed)
    return report_problems(result.problems)


if __name__ == "__main__":
    sys.exit(main())
