"""The command line: triage one reply, replay cases, check a config."""

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main

from .conftest import ROOT


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


def test_triage_prints_bucket_rules_and_reasons():
    code, out = run(
        ["triage", "--hours", "48", "--area", "upper_back", "fine 👍 but my fingers are tingling"]
    )
    result = json.loads(out)
    assert code == 0
    assert result["bucket"] == "contact_practitioner"
    assert "C10" in result["rules"]
    assert result["reasons"][0].startswith("Numbness")


def test_triage_cases_prints_one_line_each_and_a_summary(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"text": "gasping", "hours": 48, "area": "chest", "expected": "emergency"}\n'
        '{"text": "feeling great", "hours": 24, "area": "calf", "expected": "emergency"}\n'
        '{"text": "bit sore", "hours": 6, "area": "calf"}\n',
        encoding="utf-8",
    )
    code, out = run(["triage", "--cases", str(cases)])
    lines = [json.loads(line) for line in out.splitlines()]
    summary = capsys.readouterr().err
    assert code == 1  # a miss fails the run (see test_triage_cli.py)
    assert [line["bucket"] for line in lines] == ["emergency", "normal", "normal"]
    assert "emergency recall:    50.0%" in summary
    assert "line 2: expected emergency, got normal" in summary


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json\n", "line 1"),
        ('{"hours": 6}\n', 'line 1: each line needs a "text"'),
        ('{"text": "x", "expected": "urgent"}\n', "line 1: expected must be one of"),
    ],
)
def test_bad_cases_file_names_the_line(tmp_path, capsys, content, message):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(content, encoding="utf-8")
    assert run(["triage", "--cases", str(cases)])[0] == 2
    assert message in capsys.readouterr().err


def test_check_config_summarises_the_example(capsys):
    code, out = run(["check-config", "--config", str(ROOT / "config.example.toml")])
    assert code == 0
    assert "Harbour Physio (harbour)" in out
    assert "rules" in out and out.rstrip().endswith("OK")


def test_check_config_names_the_broken_key(tmp_path, capsys):
    config = tmp_path / "clinic.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(
        text.replace('timezone = "Europe/London"', 'timezone = "Europe/Lodon"'), encoding="utf-8"
    )
    assert run(["check-config", "--config", str(config)])[0] == 2
    assert "clinic.toml: clinics[0].timezone: unknown time zone 'Europe/Lodon'" in capsys.readouterr().err


def test_check_config_names_a_broken_guidance_file(tmp_path, capsys):
    import shutil

    guidance = tmp_path / "guidance"
    shutil.copytree(ROOT / "guidance", guidance)
    (guidance / "rules.toml").write_text("[[rules]]\nid = 1\n", encoding="utf-8")
    config = tmp_path / "clinic.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(
        text.replace('# guidance_dir = "guidance"', 'guidance_dir = "guidance"'), encoding="utf-8"
    )
    assert run(["check-config", "--config", str(config)])[0] == 2
    assert "rules.toml: rules[0]" in capsys.readouterr().err


def test_check_config_names_a_clinic_language_its_guidance_lacks(tmp_path, capsys):
    config = tmp_path / "clinic.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('language = "en"', 'language = "fr"', 1), encoding="utf-8")
    assert run(["check-config", "--config", str(config)])[0] == 2
    error = capsys.readouterr().err
    assert "clinic.toml: clinics[0].language: 'fr' is not a language of its guidance" in error


def test_console_script_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "bot", "triage", "--hours", "6", "gasping"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["bucket"] == "emergency"


def example_config(tmp_path, *edits: tuple[str, str]) -> Path:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


TOKEN_FILE = ("# api_base_url", 'token_file = "token"\n# api_base_url')
DATABASE = 'database = "aftercare.sqlite3"'


def make_token(mode: int):
    def setup(tmp_path):
        (tmp_path / "token").write_text("123456:TEST-TOKEN")
        (tmp_path / "token").chmod(mode)

    return setup


def make_file(name: str, content: bytes):
    def setup(tmp_path):
        (tmp_path / name).write_bytes(content)

    return setup


# (config edits, files to make, the line check-config ends with on stderr, or None for OK)
OFFLINE_CHECKS = [
    ([], None, None),
    ([TOKEN_FILE], make_token(0o600), None),
    ([TOKEN_FILE], make_token(0o644), "can be read by other users (mode 0644): run chmod 600"),
    ([TOKEN_FILE], None, "telegram.token_file: cannot read"),
    ([(DATABASE, 'database = "missing/aftercare.sqlite3"')], None, "storage.database: the folder"),
    ([], make_file("aftercare.sqlite3", b"not a database at all"), "is not a SQLite database"),
    ([(DATABASE, 'database = "folder"')], lambda tmp_path: (tmp_path / "folder").mkdir(), "is not a file"),
]


@pytest.mark.parametrize("edits, setup, problem", OFFLINE_CHECKS)
def test_check_config_says_what_would_stop_the_bot_without_the_network(
    tmp_path, capsys, monkeypatch, edits, setup, problem
):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    path = example_config(tmp_path, *edits)
    if setup:
        setup(tmp_path)
    code, out = run(["check-config", "--config", str(path)])
    if problem is None:
        assert code == 0 and out.rstrip().endswith("OK")
        return
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.startswith("aftercare: ") and problem in err


async def test_check_config_online_asks_telegram_about_the_token(emulator, tmp_path, capsys, monkeypatch):
    path = example_config(
        tmp_path, ('# api_base_url = "https://api.telegram.org/bot"', f'api_base_url = "{emulator.base_url}"')
    )
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", emulator.token)
    with emulator.expect_violation("chat not found"):  # the example's staff ids are nobody's
        code, out = await asyncio.to_thread(run, ["check-config", "--config", str(path), "--online"])
    assert code == 0 and "Telegram accepts the token: the bot is @aftercare_test_bot" in out
    assert "• Dr Ana Ruiz (111111111): Bad Request: chat not found" in out
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:WRONG-TOKEN")
    with emulator.expect_violation("Unauthorized"):
        code, out = await asyncio.to_thread(run, ["check-config", "--config", str(path), "--online"])
    assert code == 2 and "Telegram does not accept the bot token" in capsys.readouterr().err
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    code, out = await asyncio.to_thread(run, ["check-config", "--config", str(path), "--online"])
    assert code == 2 and "No bot token configured yet" in capsys.readouterr().err


def test_check_config_online_names_an_unreachable_telegram(tmp_path, capsys, monkeypatch):
    path = example_config(
        tmp_path,
        ('# api_base_url = "https://api.telegram.org/bot"', 'api_base_url = "http://127.0.0.1:9/bot"'),
    )
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    code, _ = run(["check-config", "--config", str(path), "--online"])
    assert (
        code == 2 and "telegram.api_base_url: cannot reach http://127.0.0.1:9/bot" in capsys.readouterr().err
    )


async def test_check_config_online_names_the_staff_telegram_will_not_deliver_to(emulator, tmp_path):
    """What the admins are told at start: a staff member who never pressed Start, by name and id."""
    from .harness import write_config

    ana, lee = emulator.add_user("Ana"), emulator.add_user("Lee", started=False)
    staff = [(ana.id, "Ana Ruiz", "practitioner"), (lee.id, "Lee Kim", "practitioner")]
    path = write_config(tmp_path, emulator.base_url, staff)
    token = tmp_path / "token"
    token.write_text(emulator.token)
    token.chmod(0o600)
    path.write_text(path.read_text().replace("[telegram]", '[telegram]\ntoken_file = "token"', 1))
    with emulator.expect_violation("can't initiate conversation"):
        code, out = await asyncio.to_thread(run, ["check-config", "--config", str(path), "--online"])
    assert code == 0
    assert "I can't reach these on Telegram, so alerts skip them:" in out
    assert f"• Lee Kim ({lee.id}): Forbidden: bot can't initiate conversation with a user" in out
    assert "Ana Ruiz" not in out.split("so alerts skip them:")[1]
