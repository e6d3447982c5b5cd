"""What the command line writes, to a file or to a stdout saved in one, has no trailing spaces: the
report's CSV and summary, the FHIR export, check-config, enrol with its text QR code, triage. (The
demo's saved summary: tests/test_demo.py.)"""

import io
import time
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.guidance.config import load_config
from bot.store.database import Store

from .harness import write_config
from .test_report import STAFF, H, follow_up

COMMANDS = {
    "report": ["report", "--clinic", "harbour", "--since", "30d", "--csv", "{tmp}/report.csv"],
    "export-fhir": ["export-fhir", "--clinic", "harbour", "--out", "{tmp}/bundle.json"],
    "check-config": ["check-config"],
    "enrol": ["enrol", "--clinic", "harbour", "--area", "calf", "--intensity", "light", "--qr", "-"],
    "enrol --json": ["enrol", "--clinic", "harbour", "--area", "calf", "--intensity", "light", "--json"],
}


@pytest.fixture
def clinic_with_a_day(tmp_path) -> Path:
    config_path = write_config(tmp_path, "https://api.telegram.org", STAFF)
    store = Store(load_config(config_path).storage.database)
    follow_up(store, start=time.time() - 80 * H)
    store.close()
    return config_path


def trailing(text: str) -> list[str]:
    return [line for line in text.splitlines() if line != line.rstrip()]


@pytest.mark.parametrize("name", COMMANDS)
def test_no_line_the_command_writes_ends_in_spaces(clinic_with_a_day, tmp_path, monkeypatch, name):
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "harbour_aftercare_bot")
    monkeypatch.chdir(tmp_path)
    argv = [arg.format(tmp=tmp_path) for arg in COMMANDS[name]]
    out = io.StringIO()
    assert main([argv[0], "--config", str(clinic_with_a_day), *argv[1:]], out=out) == 0
    written = {"stdout": out.getvalue()} | {
        path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.csv")
    }
    written |= {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.json")}
    assert all(text.strip() for text in written.values()), written.keys()
    assert {name: trailing(text) for name, text in written.items()} == {name: [] for name in written}


def test_the_triage_command_writes_no_trailing_spaces(capsys):
    assert main(["triage", "--hours", "48", "--area", "upper_back", "my fingers are tingling"]) == 0
    assert trailing(capsys.readouterr().out) == []
