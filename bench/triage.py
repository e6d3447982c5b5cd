"""Triage speed over the labelled cases: replies/s and mean time per reply (target < 1 ms).

    .venv/bin/python bench/triage.py [--cases FILE.jsonl] [--rounds N]

The baseline, measured in the same run, is reading the text alone (normalising and
tokenising): the ratio shows what matching and the rules cost on top of that.
Exits 1 when the mean time per reply misses the target.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.guidance.loader import load_guidance
from bot.reader.tokens import tokenize
from bot.triage.cases import read_cases
from bot.triage.engine import Context, Reply, triage

TARGET_MS = 1.0


def best_of(rounds: int, work) -> float:
    """The fastest of several timed rounds, so a busy machine inflates the figure least."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=str(ROOT.parent / "shared" / "triage" / "dev_cases.jsonl"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    guidance = load_guidance(ROOT / "guidance")
    load_ms = (time.perf_counter() - started) * 1000
    cases = read_cases(Path(args.cases))
    replies = [(Reply(c.text), Context(hours=c.hours, areas=c.areas)) for c in cases]
    matcher = guidance.lexicon.matcher

    for reply, context in replies:  # warm the typo-correction cache as a running bot would
        triage(reply, context, guidance)
    full = best_of(args.rounds, lambda: [triage(r, c, guidance) for r, c in replies])
    baseline = best_of(
        args.rounds, lambda: [tokenize(r.text, matcher.emoji, matcher.spelling) for r, _ in replies]
    )
    unseen = best_of(
        1, lambda: [triage(Reply(f"{r.text} crxql{i}"), c, guidance) for i, (r, c) in enumerate(replies)]
    )

    mean_ms = full / len(replies) * 1000
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        "one core"
    )
    print(f"cases: {len(replies)} from {args.cases}; best of {args.rounds} rounds")
    print(f"{'guidance load':<28}{load_ms:10.1f} ms")
    print(f"{'triage, replies/s':<28}{len(replies) / full:10.0f}")
    print(f"{'triage, mean per reply':<28}{mean_ms:10.3f} ms   (target < {TARGET_MS} ms)")
    print(f"{'with one unseen word':<28}{unseen / len(replies) * 1000:10.3f} ms   (typo lookup, then cached)")
    print(
        f"{'baseline: tokenise only':<28}{baseline / len(replies) * 1000:10.3f} ms   "
        f"ratio triage/baseline {full / baseline:.1f}x"
    )
    return 0 if mean_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
