"""Enrolment links: tokens, deep links, stored session details, QR codes and `aftercare enrol`."""

import asyncio
import io
import json
import re
import struct
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.clinic.enrolment import (
    EnrolmentError,
    create_enrolment,
    deep_link,
    new_token,
    parse_treated_at,
    write_qr,
)
from bot.guidance.config import load_config
from bot.store.database import Store

from .harness import START, write_config

PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
DANA = 111111111


@pytest.fixture
def config(tmp_path):
    return load_config(
        write_config(
            tmp_path,
            "http://127.0.0.1:9/bot",
            [(DANA, "Dana Reyes", "practitioner"), (222, "Sam", "admin")],
            enrol_token_ttl="2h",
        )
    )


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    yield store
    store.close()


def enrol(
    store,
    clinic,
    areas=("calf",),
    intensity="moderate",
    activities=(),
    first=None,
    treated_at=START,
    practitioner=None,
    now=START,
):
    return create_enrolment(
        store, clinic, list(areas), intensity, list(activities), first, treated_at, practitioner, now
    )


# ---- tokens and links


def test_tokens_are_valid_deep_link_payloads_and_unguessable():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in tokens:
        assert PAYLOAD.fullmatch(token) and len(token) <= 32
    assert min(len(t) for t in tokens) == 32  # 24 random bytes: 192 bits


def test_deep_link_opens_the_bot_with_the_token():
    assert deep_link("aftercare_bot", "abc_-1") == "https://t.me/aftercare_bot?start=abc_-1"
    assert deep_link("@aftercare_bot", "abc") == "https://t.me/aftercare_bot?start=abc"


@pytest.mark.parametrize(
    "username, token",
    [("", "abc"), ("bad name", "abc"), ("aftercare_bot", "a b"), ("aftercare_bot", "x" * 65)],
)
def test_deep_link_refuses_what_telegram_would_not_pass(username, token):
    with pytest.raises(EnrolmentError):
        deep_link(username, token)


# ---- what is stored


def test_an_enrolment_stores_the_session_with_areas_resolved_and_an_expiry(config, store):
    clinic = config.clinics[0]
    enrolment = enrol(
        store,
        clinic,
        ["Upper back", "traps", "upper_back"],
        "heavy",
        ["running", "gym", "running"],
        True,
        START - 600,
        DANA,
    )
    row = store.enrol_token(enrolment.token)
    assert enrolment.expires_at == START + 2 * 3600
    assert json.loads(row["areas"]) == ["upper_back", "upper_trap"]
    assert json.loads(row["activities"]) == ["running", "gym"]
    assert (
        row["clinic_id"],
        row["intensity"],
        row["first_session"],
        row["treated_at"],
        row["practitioner_id"],
    ) == ("harbour", "heavy", 1, START - 600, DANA)
    assert (row["created_at"], row["expires_at"], row["used_at"]) == (START, START + 7200, None)


def test_a_token_works_once_and_not_after_it_expires(config, store):
    clinic = config.clinics[0]
    first, second = enrol(store, clinic), enrol(store, clinic)
    assert first.token != second.token
    assert store.use_enrol_token(first.token, START + 60)
    assert not store.use_enrol_token(first.token, START + 61)
    assert not store.use_enrol_token(second.token, second.expires_at)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"areas": ["big toe"]}, "unknown area 'big toe' (known: neck, upper_trap"),
        ({"areas": []}, "at least one treated area"),
        ({"intensity": "extreme"}, "intensity must be one of light, moderate, heavy"),
        ({"intensity": None}, "intensity must be one of"),
        ({"activities": ["swimming"]}, "unknown activity 'swimming'"),
        ({"practitioner": 999}, "999 is not a staff member of clinic 'harbour'"),
        ({"treated_at": START + 3600}, "in the future"),
        ({"treated_at": START - 73 * 3600}, "already be over"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_stored(config, store, change, message):
    with pytest.raises(EnrolmentError, match=re.escape(message)):
        enrol(store, config.clinics[0], **change)
    assert store.db["enrol_tokens"].count == 0


def test_a_naive_treatment_time_is_the_clinics_local_time(config):
    clinic = config.clinics[0]  # Europe/London: UTC+1 in July
    assert (
        parse_treated_at("2026-07-01T09:30", clinic)
        == datetime(2026, 7, 1, 8, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    assert (
        parse_treated_at("2026-07-01T09:30+02:00", clinic)
        == datetime(2026, 7, 1, 7, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    with pytest.raises(EnrolmentError, match="not an ISO time"):
        parse_treated_at("yesterday 9am", clinic)


# ---- QR code


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_qr_code_is_a_png_of_a_whole_qr_symbol(tmp_path):
    link = deep_link("aftercare_bot", new_token())
    path = write_qr(link, tmp_path / "qr" / "code.png")
    width, height = png_size(path)
    assert width == height
    modules = width // 8 - 2 * 4  # scale 8, quiet zone of 4 modules each side
    assert width % 8 == 0 and (modules - 21) % 4 == 0 and 21 <= modules <= 57  # versions 1-10


def test_an_unwritable_qr_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EnrolmentError, match="cannot write the QR code"):
        write_qr("https://t.me/x_bot?start=abc", blocker / "qr.png")


# ---- the command line


def run(argv):
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


def cli_args(config, *extra):
    return [
        "enrol",
        "--config",
        str(config.path),
        "--clinic",
        "harbour",
        "--area",
        "upper back",
        "--intensity",
        "moderate",
        *extra,
    ]


def test_enrol_prints_the_link_writes_the_qr_and_stores_the_token(config, tmp_path):
    qr = tmp_path / "out" / "patient.png"
    treated = datetime.now(ZoneInfo("Europe/London")).replace(
        second=0, microsecond=0, tzinfo=None
    ) - timedelta(hours=1)
    code, out = run(
        cli_args(
            config,
            "--area",
            "calf",
            "--activity",
            "running",
            "--repeat-session",
            "--treated-at",
            treated.isoformat(),
            "--practitioner",
            str(DANA),
            "--qr",
            str(qr),
            "--bot-username",
            "aftercare_test_bot",
        )
    )
    assert code == 0
    link, qr_line, expires = out.splitlines()
    token = re.fullmatch(r"https://t\.me/aftercare_test_bot\?start=([A-Za-z0-9_-]{32})", link).group(1)
    assert qr_line == f"QR code: {qr}" and png_size(qr)
    assert expires.startswith("Expires: ")
    store = Store(config.storage.database)
    row = store.enrol_token(token)
    store.close()
    assert json.loads(row["areas"]) == ["upper_back", "calf"]
    assert (
        row["intensity"],
        json.loads(row["activities"]),
        row["first_session"],
        row["practitioner_id"],
    ) == ("moderate", ["running"], 0, DANA)
    assert row["treated_at"] == treated.replace(tzinfo=ZoneInfo("Europe/London")).timestamp()


def test_enrol_takes_the_username_from_the_environment_and_writes_the_qr_here(config, tmp_path, monkeypatch):
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "env_named_bot")
    monkeypatch.chdir(tmp_path)
    code, out = run(cli_args(config))
    token = out.splitlines()[0].split("start=")[1]
    assert code == 0 and out.startswith("https://t.me/env_named_bot?start=")
    assert (tmp_path / f"enrol-{token[:8]}.png").exists()
    assert out.splitlines()[1] == f"QR code: enrol-{token[:8]}.png"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--clinic", "nowhere"], "no clinic with id 'nowhere'"),
        (["--area", "big toe"], "unknown area 'big toe'"),
        (["--treated-at", "monday"], "'monday' is not an ISO time"),
        (["--practitioner", "5"], "5 is not a staff member"),
        (["--bot-username", "no spaces"], "is not a Telegram bot username"),
    ],
)
def test_enrol_errors_exit_2_with_a_message_and_store_nothing(
    config, tmp_path, monkeypatch, capsys, extra, message
):
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "aftercare_test_bot")
    monkeypatch.chdir(tmp_path)
    code, out = run(cli_args(config, *extra))
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("aftercare: ") and message in err
    assert not list(tmp_path.glob("enrol-*.png"))
    if config.storage.database.exists():
        store = Store(config.storage.database)
        assert store.db["enrol_tokens"].count == 0
        store.close()


def test_enrol_without_a_bot_username_says_how_to_give_one(config, monkeypatch, capsys):
    monkeypatch.delenv("AFTERCARE_BOT_USERNAME", raising=False)
    assert run(cli_args(config))[0] == 2
    assert (
        "--bot-username, telegram.bot_username in the config, or AFTERCARE_BOT_USERNAME"
        in capsys.readouterr().err
    )


def test_enrol_requires_area_and_intensity(config, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["enrol", "--config", str(config.path), "--clinic", "harbour", "--intensity", "light"])
    assert exit_.value.code == 2
    assert "--area" in capsys.readouterr().err


def test_enrol_still_prints_the_link_when_the_qr_cannot_be_written(config, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out = run(cli_args(config, "--qr", str(blocker / "qr.png"), "--bot-username", "aftercare_test_bot"))
    assert code == 2 and out.startswith("https://t.me/aftercare_test_bot?start=")
    assert "cannot write the QR code" in capsys.readouterr().err


# ---- QR codes stay private; the link can go to the terminal or a script


def test_the_qr_code_is_private_even_when_it_replaces_a_readable_file(config, tmp_path):
    qr = tmp_path / "patient.png"
    qr.write_bytes(b"old")
    qr.chmod(0o644)
    code, _ = run(cli_args(config, "--qr", str(qr), "--bot-username", "aftercare_test_bot"))
    assert code == 0 and png_size(qr) and qr.stat().st_mode & 0o777 == 0o600


# (extra arguments, QR written to the working folder, QR drawn on stdout)
QR_CHOICES = [
    ([], True, False),
    (["--no-qr"], False, False),
    (["--qr", "-"], False, True),
]


@pytest.mark.parametrize("extra, written, drawn", QR_CHOICES)
def test_enrol_writes_draws_or_skips_the_qr(config, tmp_path, monkeypatch, extra, written, drawn):
    monkeypatch.chdir(tmp_path)
    code, out = run(cli_args(config, "--bot-username", "aftercare_test_bot", *extra))
    assert code == 0 and out.startswith("https://t.me/aftercare_test_bot?start=")
    assert bool(list(tmp_path.glob("enrol-*.png"))) == written
    assert ("\u2580" in out or "\u2584" in out) == drawn  # half blocks draw the symbol
    assert ("QR code: " in out) == written


def test_enrol_json_gives_link_expiry_and_file(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = run(cli_args(config, "--bot-username", "aftercare_test_bot", "--json"))
    result = json.loads(out)
    assert code == 0 and result["link"].startswith("https://t.me/aftercare_test_bot?start=")
    assert datetime.fromisoformat(result["expires_at"]).tzinfo is not None
    assert (tmp_path / result["qr"]).is_file()
    code, out = run(cli_args(config, "--bot-username", "aftercare_test_bot", "--json", "--no-qr"))
    assert json.loads(out)["qr"] is None


def config_with(config, tmp_path, api_base_url, extra=""):
    text = config.path.read_text(encoding="utf-8")
    text = re.sub(r'api_base_url = "[^"]*"', f'api_base_url = "{api_base_url}"' + extra, text)
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


# (username given, what the run says: a link for this bot, or an error)
USERNAME_CHECKS = [
    ("aftercare_test_bot", "https://t.me/aftercare_test_bot?start="),
    ("@Aftercare_Test_Bot", "https://t.me/aftercare_test_bot?start="),
    ("aftercare_tset_bot", "the bot token belongs to @aftercare_test_bot, not @aftercare_tset_bot"),
]


@pytest.mark.parametrize("given, says", USERNAME_CHECKS)
async def test_enrol_checks_the_username_against_the_token(
    emulator, config, tmp_path, monkeypatch, capsys, given, says
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", emulator.token)
    checked = config_with(config, tmp_path, emulator.base_url, f'\nbot_username = "{given}"')
    code, out = await asyncio.to_thread(run, cli_args(checked, "--no-qr"))
    if says.startswith("https://"):
        assert code == 0 and out.startswith(says)
    else:
        assert code == 2 and says in capsys.readouterr().err


async def test_enrol_without_telegram_warns_and_still_makes_the_link(config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    unreachable = config_with(config, tmp_path, "http://127.0.0.1:9/bot")
    code, out = run(cli_args(unreachable, "--no-qr", "--bot-username", "aftercare_test_bot"))
    assert code == 0 and out.startswith("https://t.me/aftercare_test_bot?start=")
    assert "could not check @aftercare_test_bot against the token" in capsys.readouterr().err
