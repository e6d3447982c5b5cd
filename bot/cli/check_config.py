"""`aftercare check-config`: validate a config and its guidance, say what would stop the bot, then
print what the bot would do (bot/cli/config_summary.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.cli.config_checks import offline_problems, online_check, reach_report, token_note
from bot.cli.config_stored import in_force, stored_summary
from bot.cli.config_summary import summarise
from bot.guidance.config import Config, ConfigError, load_config
from bot.guidance.loader import load_all_guidance


def cannot_start(config: Config) -> bool:
    """Say, one line each on stderr, what would stop the bot from starting (bot/cli/config_checks.py)."""
    problems = offline_problems(config)
    for problem in problems:
        print(f"aftercare: {problem}", file=sys.stderr)
    return bool(problems)


def check_config(args: argparse.Namespace, out: TextIO) -> int:
    """Validate the config and every clinic's guidance, check that the bot could start (the
    token with Telegram too, with --online), then print what the bot would do."""
    config = load_config(args.config)
    if cannot_start(config):
        return 2
    print(summarise(config, datetime.now(UTC)), file=out)
    stored = stored_summary(config)
    if stored:
        print(stored, file=out)
    guidance_by_clinic = load_all_guidance(config)
    for clinic_id, guidance in guidance_by_clinic.items():
        print(
            f"Guidance for {clinic_id}: {guidance.root}\n"
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
        # the staff in force: those an admin added or removed from Telegram too
        for line in reach_report(in_force(config), guidance_by_clinic):
            print(line, file=out)
    elif note:
        print(note, file=out)
    print("OK", file=out)
    return 0
