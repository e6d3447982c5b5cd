"""Sign-in inside Telegram: checking a Mini App's signed `initData`.

Telegram's clients hand a Mini App `Telegram.WebApp.initData`, a query string signed with the bot
token; the page sends it with each request and the server checks it instead of a cookie, which a
cross-site frame (Telegram's web clients) does not carry. The check is Telegram's own
(core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):

    secret_key = HMAC_SHA256(key="WebAppData", message=bot_token)
    hash       = hex(HMAC_SHA256(key=secret_key, message=data_check_string))

where data_check_string is every received field but `hash`, URL-decoded, as `key=value` lines
sorted by key. `auth_date` must also be recent: a signed string copied from a log or a browser
history stops working after `max_age` seconds. Pure: the caller passes the token and `now`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

SECRET_LABEL = b"WebAppData"
DEFAULT_MAX_AGE = 3600.0  # seconds; Telegram signs initData when the Mini App opens
FUTURE_SLACK = 60.0  # a server clock a little behind Telegram's is not a forgery


@dataclass(frozen=True)
class Verdict:
    """Who signed in (`user_id`), or why not (`refusal`, a short reason safe to log)."""

    user_id: int | None = None
    refusal: str | None = None


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts beside `fields` (hex)."""
    secret_key = hmac.new(SECRET_LABEL, bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret_key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def check_init_data(init_data: str, bot_token: str, now: float, max_age: float = DEFAULT_MAX_AGE) -> Verdict:
    """The Telegram user id `init_data` was signed for, or a refusal."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return Verdict(refusal="not a query string")
    fields = dict(pairs)
    if len(fields) != len(pairs):
        return Verdict(refusal="a field given twice")  # which one would the signature cover?
    received = fields.get("hash", "")
    if not received:
        return Verdict(refusal="no hash")
    if not hmac.compare_digest(sign(fields, bot_token).encode(), received.lower().encode()):
        return Verdict(refusal="bad hash")
    try:
        signed_at = int(fields.get("auth_date", ""))
    except ValueError:
        return Verdict(refusal="no auth_date")
    if signed_at > now + FUTURE_SLACK:
        return Verdict(refusal="auth_date in the future")
    if now - signed_at > max_age:
        return Verdict(refusal="stale")
    return _user_id(fields.get("user", ""))


def _user_id(user: str) -> Verdict:
    try:
        decoded = json.loads(user)
    except ValueError:
        return Verdict(refusal="no user")
    user_id = decoded.get("id") if isinstance(decoded, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return Verdict(refusal="no user")
    return Verdict(user_id=user_id)
