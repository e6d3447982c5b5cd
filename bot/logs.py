"""Logging for `aftercare run`: one structured line per event, and nothing private in it.

Handlers log ids and buckets only, never a patient's words, names or enrolment tokens. Two
guards back that up: libraries that would print URLs (httpx puts the bot token in every
request line) are quieted, and a filter masks anything shaped like a bot token.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{8,}")
# APScheduler warns each time a tick is skipped because the last one is still sending: expected.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "apscheduler": logging.ERROR, "telegram.ext.Updater": logging.WARNING}


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if BOT_TOKEN.search(message):
            record.msg, record.args = BOT_TOKEN.sub("<token>", message), ()
        return True


def configure(level: int = logging.INFO, stream: TextIO = sys.stderr) -> logging.Handler:
    """Structured lines (`time level logger message`) on `stream`; returns the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return handler
