"""Logging for `aftercare run`: one structured line per event, and nothing private in it.

Handlers log ids and buckets only, never a patient's words, names or enrolment tokens, at any
level. Two guards back that up: libraries that would print URLs or payloads (httpx puts the
bot token in every request line; PTB and aiohttp print whole requests and updates at DEBUG) stay
at INFO or above whatever the level, and anything shaped like a bot token is masked in every
line, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{8,}")
# APScheduler warns each time a tick is skipped because the last one is still sending: expected.
QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.ERROR,
    "telegram.ext.Updater": logging.WARNING,
}
# Their DEBUG lines carry request parameters and updates: message texts, names, deep links.
PAYLOADS = ("telegram", "aiohttp")


class RedactingFormatter(logging.Formatter):
    """Masks bot tokens in the whole formatted line: message, arguments and traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return BOT_TOKEN.sub("<token>", super().format(record))


def configure(level: int = logging.INFO, stream: TextIO = sys.stderr) -> logging.Handler:
    """Structured lines (`time level logger message`) on `stream`; returns the handler."""
    handler = logging.StreamHandler(stream)
    line = "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
    handler.setFormatter(RedactingFormatter(line))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in PAYLOADS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return handler
