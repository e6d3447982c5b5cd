"""What `aftercare check-config` verifies beyond the file itself: that the bot could start.

Offline: the token (when one is configured) is readable and private, and the database can be
created or opened where the config says. Online (`--online`): Telegram accepts the token.
Each problem is one line naming the file or key; none needs the network unless asked.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import TOKEN_ENV, Config, ConfigError
from .enrolment import EnrolmentError, token_username

SQLITE_HEADER = b"SQLite format 3\x00"


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
        return []
    folder = database.parent
    if not folder.is_dir():
        return [f"{where}: the folder {folder} does not exist"]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [f"{where}: the folder {folder} is not writable by this user"]
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
        raise ConfigError(config.path, "telegram.api_base_url",
                          f"cannot reach {config.telegram.api_base_url} ({error})") from None
