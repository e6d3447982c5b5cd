"""`aftercare triage`: triage one reply, or replay a JSONL file of cases against `expected` so a
clinic's CI can refuse a guidance edit that breaks its own cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.clinic.enrolment import resolve_areas
from bot.guidance.config import default_guidance_dir
from bot.guidance.loader import load_guidance
from bot.triage.cases import CaseError, evaluate, read_cases
from bot.triage.engine import Context, Reply, triage


def run_triage(args: argparse.Namespace, out: TextIO) -> int:
    """Triage one reply (as the answer to the check-in at --hours), or a JSONL file of cases
    with a summary against `expected`: exit 1 when any case misses."""
    guidance = load_guidance(Path(args.guidance) if args.guidance else default_guidance_dir())
    if args.cases:
        report = evaluate(read_cases(Path(args.cases)), guidance)
        for result in report.results:
            print(json.dumps(result, ensure_ascii=False), file=out)
        if report.labelled:
            print(report.summary(), file=sys.stderr)
        return 1 if report.misses else 0
    if not args.text:
        raise CaseError("give the reply text, or --cases FILE")
    areas = tuple(resolve_areas(guidance, args.area)) if args.area else ()  # none given: unknown (A3)
    context = Context(
        hours=args.hours, areas=areas, intensity=args.intensity, activities=tuple(args.activity)
    )
    assessment = triage(Reply(" ".join(args.text)), context, guidance)
    print(json.dumps(assessment.as_dict(), ensure_ascii=False), file=out)
    return 0
