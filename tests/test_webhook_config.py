"""[telegram] mode, webhook_url and webhook_listen: read, checked (naming file and key), shown by
check-config."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cli.config_summary import summarise
from bot.guidance.config import ConfigError, load_config

TELEGRAM = '[telegram]\napi_base_url = "http://127.0.0.1:8081/bot"\n'
CLINIC = """
[[clinics]]
id = "harbour"
name = "Harbour Physio"
timezone = "Europe/London"
phone = "+44 20 7946 0000"
emergency_number = "999"
checkins = ["6h", "24h"]

[[clinics.staff]]
telegram_id = 111111111
name = "Dr Ana Ruiz"
role = "practitioner"
"""


def config(tmp_path, extra: str):
    path = tmp_path / "clinic.toml"
    path.write_text(TELEGRAM + extra + CLINIC, encoding="utf-8")
    return load_config(path)


def test_polling_is_the_default(tmp_path):
    telegram = config(tmp_path, "").telegram
    assert (telegram.mode, telegram.webhook_url, telegram.webhook_listen) == (
        "polling",
        None,
        ("127.0.0.1", 8443),
    )


def test_webhook_mode_reads_its_address_and_where_it_is_served(tmp_path):
    extra = (
        'mode = "webhook"\nwebhook_url = "https://bot.example.org/hook"\nwebhook_listen = "0.0.0.0:8088"\n'
    )
    loaded = config(tmp_path, extra)
    telegram = loaded.telegram
    assert (telegram.mode, telegram.webhook_url) == ("webhook", "https://bot.example.org/hook")
    assert telegram.webhook_listen == ("0.0.0.0", 8088)
    summary = summarise(loaded, datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert "Updates: webhook at https://bot.example.org/hook (served on 0.0.0.0:8088)" in summary


def test_with_the_web_worklist_on_its_server_takes_the_webhook(tmp_path):
    extra = (
        'mode = "webhook"\nwebhook_url = "https://bot.example.org/hook"\n\n[web]\nlisten = "127.0.0.1:8080"\n'
    )
    summary = summarise(config(tmp_path, extra), datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert (
        "Updates: webhook at https://bot.example.org/hook (served by the web worklist on 127.0.0.1:8080)"
        in (summary)
    )


# (extra [telegram] lines, the key and the error)
REFUSED = [
    ('mode = "push"\n', "mode", "'push' is not one of: polling, webhook"),
    ('mode = "webhook"\n', "webhook_url", 'mode = "webhook" needs the https address'),
    (
        'mode = "webhook"\nwebhook_url = "ftp://bot.example.org/x"\n',
        "webhook_url",
        "is not an http(s) address",
    ),
    ('mode = "webhook"\nwebhook_url = "https://"\n', "webhook_url", "is not an http(s) address"),
    ('mode = "webhook"\nwebhook_url = "http://bot.example.org/x"\n', "webhook_url", "unencrypted"),
    ('mode = "webhook"\nwebhook_url = "https://bot.example.org/x?a=1"\n', "webhook_url", "without ?query"),
    ('webhook_listen = "8443"\n', "webhook_listen", "'8443' is not host:port"),
    ('webhook_listen = "127.0.0.1:70000"\n', "webhook_listen", "is not host:port"),
    ('webhook_lisen = "127.0.0.1:8443"\n', "webhook_lisen", "webhook_listen"),
]


@pytest.mark.parametrize(("extra", "key", "error"), REFUSED)
def test_a_bad_webhook_setting_names_the_file_and_key(tmp_path, extra, key, error):
    with pytest.raises(ConfigError) as raised:
        config(tmp_path, extra)
    assert f"clinic.toml: telegram.{key}: " in str(raised.value)
    assert error in str(raised.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8443/telegram", "http://localhost/hook", "http://[::1]:9000/hook"]
)
def test_plain_http_webhook_is_accepted_on_this_machine_only(tmp_path, url):
    extra = f'mode = "webhook"\nwebhook_url = "{url}"\nwebhook_listen = "[::1]:9000"\n'
    telegram = config(tmp_path, extra).telegram
    assert (telegram.webhook_url, telegram.webhook_listen) == (url, ("::1", 9000))
