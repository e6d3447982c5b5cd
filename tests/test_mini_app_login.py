"""A Mini App signs in by Telegram's signed initData: built here the way Telegram documents it
(core.telegram.org/bots/webapps), accepted when intact and fresh, refused otherwise."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from bot.web.mini_app_csp import mini_app_policy
from bot.web.telegram_login import check_init_data

TOKEN = "123456:TEST-TOKEN"
NOW = 1_800_000_000.0
USER = json.dumps({"id": 700000001, "first_name": "Dana", "language_code": "en"}, separators=(",", ":"))


def signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """initData as a Telegram client gets it, signed independently of the module under test."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def fields(**changes: str) -> dict[str, str]:
    base = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": USER, "auth_date": str(int(NOW) - 30)}
    return {**base, **changes}


def test_intact_fresh_init_data_names_the_user():
    verdict = check_init_data(signed(fields()), TOKEN, NOW)
    assert (verdict.user_id, verdict.refusal) == (700000001, None)


def test_the_signature_covers_every_field_including_unknown_ones():
    extra = fields(chat_type="private", signature="abc-_XYZ", start_param="worklist")
    assert check_init_data(signed(extra), TOKEN, NOW).user_id == 700000001


def tampered_user() -> str:
    other = USER.replace("700000001", "700000002")
    return signed(fields()).replace(urlencode({"user": USER}), urlencode({"user": other}))


REFUSED = [
    ("tampered user", tampered_user(), "bad hash"),
    ("another bot's token", signed(fields(), "654321:OTHER"), "bad hash"),
    ("missing hash", urlencode(fields()), "no hash"),
    ("empty hash", urlencode({**fields(), "hash": ""}), "no hash"),
    ("non-ascii hash", urlencode({**fields(), "hash": "é" * 64}), "bad hash"),
    ("stale", signed(fields(auth_date=str(int(NOW) - 3601))), "stale"),
    ("from the future", signed(fields(auth_date=str(int(NOW) + 600))), "auth_date in the future"),
    ("no auth_date", signed({"user": USER}), "no auth_date"),
    ("no user", signed({"auth_date": str(int(NOW))}), "no user"),
    ("user without id", signed(fields(user='{"first_name":"Dana"}')), "no user"),
    ("field twice", signed(fields()) + "&user=" + "x", "a field given twice"),
    ("not a query string", "garbage", "not a query string"),
    ("empty", "", "no hash"),
]


@pytest.mark.parametrize(("init_data", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_bad_init_data_is_refused_with_its_reason(init_data, reason):
    verdict = check_init_data(init_data, TOKEN, NOW)
    assert (verdict.user_id, verdict.refusal) == (None, reason)


def test_the_freshness_window_is_the_callers():
    old = signed(fields(auth_date=str(int(NOW) - 600)))
    assert check_init_data(old, TOKEN, NOW, max_age=900).user_id == 700000001
    assert check_init_data(old, TOKEN, NOW, max_age=300).refusal == "stale"


def test_mini_app_pages_may_be_framed_by_telegram_web_alone():
    policy = dict(part.split(" ", 1) for part in mini_app_policy().split("; "))
    assert policy["frame-ancestors"].split() == [
        "https://web.telegram.org",
        "https://webk.telegram.org",
        "https://webz.telegram.org",
    ]
    assert policy["script-src"] == "'self' https://telegram.org/js/telegram-web-app.js"
    assert policy["default-src"] == "'none'"
