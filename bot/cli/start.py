"""`aftercare run` up to where the bot takes over: the config loaded, nothing on disk in the way,
logging set, Telegram answering. Starting the bot itself is wiring (bot/__main__.py)."""

from __future__ import annotations

import argparse
import logging

from bot.cli.check_config import cannot_start
from bot.cli.config_checks import wait_for_telegram
from bot.guidance.config import Config, load_config
from bot.privacy.logs import configure


def ready_to_run(args: argparse.Namespace) -> Config | None:
    """The config to run with, or None once every problem that would stop the bot is said."""
    config = load_config(args.config)
    if cannot_start(config):
        return None
    configure(getattr(logging, (args.log_level or config.log_level).upper()))
    wait_for_telegram(config, logging.getLogger("bot.start"))
    return config
