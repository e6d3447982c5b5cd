"""What `aftercare check-config` verifies beyond the file itself: that the bot could start.

Offline: the token (when one is configured) is readable and private, and the database can be
created or opened where the config says. Online (`--online`): Telegram accepts the token, and
can deliver to every staff member and alert chat (what the admins are told at start and daily).
Each problem is one line naming the file or key; none needs the network unless asked.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.clinic.enrolment import EnrolmentError, token_username
from bot.guidance.config import TOKEN_ENV, Config, ConfigError
from bot.guidance.model import Guidance
from bot.render.html import plain
from bot.render.reach import clinic_chats, unreachable_report

SQLITE_HEADER = b"SQLite format 3\x00"
RETRY_FIRST, RETRY_LONGEST = 1.0, 60.0  # seconds between asking an unreachable Telegram again


def offline_problems(config: Config) -> list[str]:
    """Why `aftercare run` would fail to start with this config, as far as the disk tells."""
    problems = []
    if config.telegram.has_token:
        try:
            config.telegram.token()
        except ConfigError as error:
            problems.append(str(error))
    problems += _database_problems(config.storage.database, config.path)
    return problems


def _database_problems(database: Path, source: Path) -> list[str]:
    where = f"{source}: storage.database"
    if database.exists():
        if not database.is_file():
            return [f"{where}: {database} is not a file"]
        if not os.access(database, os.R_OK | os.W_OK):
            return [f"{where}: {database} cannot be read and written by this user"]
        with database.open("rb") as file:
            if database.stat().st_size and file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return [f"{where}: {database} is not a SQLite database"]
        return _damage(database, where)
    folder = database.parent
    if not folder.is_dir():
        return [f"{where}: the folder {folder} does not exist"]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [f"{where}: the folder {folder} is not writable by this user"]
    return []


def _damage(database: Path, where: str) -> list[str]:
    """A damaged schema fails at the first statement; reading it is cheap whatever the size."""
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return [f"{where}: {database} is damaged ({error}); restore it from a backup (deploy/README.md)"]
    return []


def token_note(config: Config) -> str | None:
    """A reminder when no token is configured: checking needs none, running does."""
    if config.telegram.has_token:
        return None
    return f"No bot token configured yet: set {TOKEN_ENV} or telegram.token_file before `aftercare run`."


def online_check(config: Config) -> str:
    """The bot's username as Telegram reports it for the token; ConfigError if it cannot."""
    key = "telegram.token_file" if config.telegram.token_file else TOKEN_ENV
    try:
        return token_username(config.telegram.api_base_url, config.telegram.token())
    except EnrolmentError as error:
        raise ConfigError(config.path, key, str(error)) from None
    except OSError as error:
        raise ConfigError(
            config.path, "telegram.api_base_url", f"cannot reach {config.telegram.api_base_url} ({error})"
        ) from None


def wait_for_telegram(
    config: Config, log: logging.Logger, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Ask Telegram for the bot's username until it answers: a clinic's bot that boots during a
    network outage comes up by itself once the network is back. A refused token is final."""
    delay, failures = RETRY_FIRST, 0
    while True:
        try:
            username = online_check(config)
        except ConfigError as error:
            if error.key != "telegram.api_base_url":
                raise
            failures += 1
            if failures == 1:
                log.error("%s; retrying with backoff (up to every %.0f s)", error, RETRY_LONGEST)
            sleep(delay)
            delay = min(RETRY_LONGEST, delay * 2)
            continue
        if failures:
            log.warning("Telegram answers again after %d failed attempts", failures)
        return username


def reach_report(config: Config, guidance: Mapping[str, Guidance]) -> list[str]:
    """Per clinic, the admins' message about chats Telegram refuses (plain text), or that every
    chat can be reached; probed as the running bot probes them (bot/delivery/reach.py)."""
    token, refused, lines = config.telegram.token(), {}, []
    for clinic in config.clinics:
        for chat in clinic_chats(clinic):
            if chat not in refused:
                refused[chat] = _refusal(config.telegram.api_base_url, token, chat)
        report = unreachable_report(guidance[clinic.id], clinic, {c: r for c, r in refused.items() if r})
        lines.append(
            plain(report) if report else f"{clinic.id}: every staff member and alert chat can be reached"
        )
    return lines


def _refusal(api_base_url: str, token: str, chat_id: int) -> str | None:
    """Telegram's reason for refusing a chat action in `chat_id`, None when it accepts it."""
    body = urllib.parse.urlencode({"chat_id": chat_id, "action": "typing"}).encode()
    try:
        with urllib.request.urlopen(f"{api_base_url}{token}/sendChatAction", body, timeout=10) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        if error.code not in (400, 403):
            raise OSError(f"sendChatAction answered {error.code}") from None
        return str(json.load(error).get("description", error.code))
    return None
