"""The `aftercare` command line: parses arguments and wires the modules; no logic of its own."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from .config import ConfigError, default_guidance_dir, load_config
from .evaluation import CaseError, evaluate, read_cases
from .guidance import Guidance, load_guidance
from .schemas import GuidanceError
from .summary import summarise
from .triage import Context, Reply, triage


def _guidance(path: str | None) -> Guidance:
    return load_guidance(Path(path) if path else default_guidance_dir())


def check_config(args: argparse.Namespace, out: TextIO) -> int:
    """Validate the config and every clinic's guidance, then print what the bot would do."""
    config = load_config(args.config)
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
    print("OK", file=out)
    return 0


def run_triage(args: argparse.Namespace, out: TextIO) -> int:
    """Triage one reply, or a JSONL file of cases with an optional summary against `expected`."""
    guidance = _guidance(args.guidance)
    if args.cases:
        cases = read_cases(Path(args.cases))
        report = evaluate(cases, guidance)
        for result in report.results:
            print(json.dumps(result), file=out)
        if report.labelled:
            print(report.summary(), file=sys.stderr)
        return 0
    if not args.text:
        raise CaseError("give the reply text, or --cases FILE")
    context = Context(hours=args.hours, areas=tuple(args.area), intensity=args.intensity, activities=tuple(args.activity))
    print(json.dumps(triage(Reply(" ".join(args.text)), context, guidance).as_dict(), ensure_ascii=False), file=out)
    return 0


def run_bot(args: argparse.Namespace, out: TextIO) -> int:
    """Start the bot: poll Telegram until SIGINT or SIGTERM."""
    from .app import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the bot token
    run(load_config(args.config))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftercare", description="Follow-up after dry needling, over Telegram.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-config", help="validate a config file and its guidance")
    check.add_argument("--config", required=True, help="the clinic's TOML config")
    check.set_defaults(handler=check_config)

    run_cmd = commands.add_parser("run", help="run the bot (polling)")
    run_cmd.add_argument("--config", required=True, help="the clinic's TOML config")
    run_cmd.set_defaults(handler=run_bot)

    tri = commands.add_parser("triage", help="triage a reply, or regression-test guidance with --cases")
    tri.add_argument("text", nargs="*", help="the patient's reply")
    tri.add_argument("--hours", type=float, default=24.0, help="hours since the session (default 24)")
    tri.add_argument("--area", action="append", default=[], help="treated area (repeatable)")
    tri.add_argument("--intensity", choices=("light", "moderate", "heavy"))
    tri.add_argument("--activity", action="append", default=[], help="running, gym (repeatable)")
    tri.add_argument("--cases", help="JSONL with text, hours, area and optionally expected")
    tri.add_argument("--guidance", help="guidance folder (default: the shipped one)")
    tri.set_defaults(handler=run_triage)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, out)
    except (ConfigError, GuidanceError, CaseError) as error:
        print(f"aftercare: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
