"""The config's [telegram] table: where Bot API calls go, the token, the pace, and how updates
arrive (polling, or a webhook at `webhook_url` served on `webhook_listen`).

Checked with the same validator as the rest of the config (`toml_doc`). Imports only its
siblings `toml_doc` and `web_config`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.guidance.toml_doc import BOOL, FILLED_TEXT, NUMBER, Schema, Table, TomlError
from bot.guidance.web_config import is_loopback

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
MODES = ("polling", "webhook")
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1:8443"

_BOT_USERNAME = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{3,31}")
_LISTEN = re.compile(r"(?P<host>[^\s:]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})")

TELEGRAM = Schema(
    optional={
        "api_base_url": FILLED_TEXT,
        "token_file": FILLED_TEXT,
        "token": FILLED_TEXT,
        "max_messages_per_second": NUMBER,
        "allow_insecure_api": BOOL,
        "bot_username": FILLED_TEXT,
        "mode": FILLED_TEXT,
        "webhook_url": FILLED_TEXT,
        "webhook_listen": FILLED_TEXT,
    }
)


class ConfigError(TomlError):
    """A config problem, located as `file: key: message`."""


@dataclass(frozen=True)
class TelegramConfig:
    api_base_url: str
    token_file: Path | None
    source: str = "config"  # the config file, so token errors can name it
    max_messages_per_second: float = 28.0
    bot_username: str | None = None  # for enrolment links made outside the bot
    mode: str = "polling"
    webhook_url: str | None = None  # with mode = "webhook": the public https address Telegram posts to
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8443)  # where the bot serves it

    @property
    def has_token(self) -> bool:
        return bool(os.environ.get(TOKEN_ENV, "").strip()) or self.token_file is not None

    def token(self) -> str:
        """The bot token: TELEGRAM_BOT_TOKEN if set, else the contents of token_file.

        Read only when needed, so every other command works without a token.
        """
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            return token
        key = "telegram.token_file"
        if self.token_file is None:
            raise ConfigError(self.source, key, f"no bot token: set {TOKEN_ENV} or {key}")
        try:
            mode = self.token_file.stat().st_mode & 0o777
            if mode & 0o077:  # like ssh with a private key: a token others can read is not secret
                message = (
                    f"{self.token_file} can be read by other users (mode {mode:04o}): "
                    f"run chmod 600 {self.token_file} (or 400)"
                )
                raise ConfigError(self.source, key, message)
            token = self.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            message = f"cannot read {self.token_file}: {reason}"
            raise ConfigError(self.source, key, message) from None
        if not token:
            raise ConfigError(self.source, key, f"{self.token_file} is empty")
        return token


def read_telegram(root: Table, base: Path) -> TelegramConfig:
    table = root.table("telegram", TELEGRAM)
    if "token" in table:
        raise table.error("token", f"keep the token out of the config file: set {TOKEN_ENV} or token_file")
    url = table.get("api_base_url", DEFAULT_API_BASE_URL)
    _check_address(table, "api_base_url", url, "sends the bot token unencrypted")
    token_file = table.get("token_file")
    token_path = None if token_file is None else resolve(base, token_file)
    rate = float(table.get("max_messages_per_second", 28.0))
    if not (math.isfinite(rate) and 0 < rate <= 1000):
        raise table.error("max_messages_per_second", f"must be above 0 and at most 1000, got {rate}")
    username = None
    if "bot_username" in table:
        username = table.get("bot_username")
        if not _BOT_USERNAME.fullmatch(username):
            hint = "write the bot's @username, e.g. harbour_aftercare_bot"
            raise table.error("bot_username", f"{username!r} is not valid: {hint}")
        username = username.removeprefix("@")
    mode, webhook_url, listen = _updates(table)
    return TelegramConfig(url, token_path, str(root.file), rate, username, mode, webhook_url, listen)


def _updates(table: Table) -> tuple[str, str | None, tuple[str, int]]:
    """How updates arrive: the mode, the webhook's public address and where it is served."""
    mode = table.get("mode", "polling")
    if mode not in MODES:
        raise table.error("mode", f"{mode!r} is not one of: {', '.join(MODES)}")
    url = table.get("webhook_url")
    if mode == "webhook" and url is None:
        raise table.error("webhook_url", 'mode = "webhook" needs the https address Telegram posts updates to')
    if url is not None:
        _check_address(table, "webhook_url", url, "carries patients' words unencrypted")
        if urlsplit(url).query or urlsplit(url).fragment:
            raise table.error("webhook_url", f"{url!r}: give an address without ?query or #fragment")
    listen = table.get("webhook_listen", DEFAULT_WEBHOOK_LISTEN)
    found = _LISTEN.fullmatch(listen)
    if found is None or not 0 < int(found["port"]) < 65536:
        raise table.error("webhook_listen", f"{listen!r} is not host:port, e.g. {DEFAULT_WEBHOOK_LISTEN}")
    return mode, url, (found["host"].strip("[]"), int(found["port"]))


def _check_address(table: Table, key: str, url: str, risk: str) -> None:
    """https, or plain http to this machine (or where allow_insecure_api says it is trusted)."""
    if not url.startswith(("https://", "http://")) or not urlsplit(url).hostname:
        raise table.error(key, f"{url!r} is not an http(s) address")
    if url.startswith("http://") and not is_loopback(url) and not table.get("allow_insecure_api", False):
        # Over plain http anyone on the way reads the request: the token, or the updates.
        message = f"{url!r} {risk}: use https, a loopback address, or set allow_insecure_api = true"
        raise table.error(key, message)


def resolve(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path
