"""The command line: triage one reply, replay cases, check a config."""

import io
import json
import subprocess
import sys

import pytest

from bot.__main__ import main

from .conftest import ROOT


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


def test_triage_prints_bucket_rules_and_reasons():
    code, out = run(["triage", "--hours", "48", "--area", "upper_back", "fine 👍 but my fingers are tingling"])
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
    assert code == 0
    assert [line["bucket"] for line in lines] == ["emergency", "normal", "normal"]
    assert "emergency recall:    50.0%" in summary
    assert "line 2: expected emergency, got normal" in summary


@pytest.mark.parametrize("content, message", [
    ("not json\n", "line 1"),
    ('{"hours": 6}\n', "line 1: each line needs a \"text\""),
    ('{"text": "x", "expected": "urgent"}\n', "line 1: expected must be one of"),
])
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
    config.write_text(text.replace('timezone = "Europe/London"', 'timezone = "Europe/Lodon"'), encoding="utf-8")
    assert run(["check-config", "--config", str(config)])[0] == 2
    assert "clinic.toml: clinics[0].timezone: unknown time zone 'Europe/Lodon'" in capsys.readouterr().err


def test_check_config_names_a_broken_guidance_file(tmp_path, capsys):
    import shutil
    guidance = tmp_path / "guidance"
    shutil.copytree(ROOT / "guidance", guidance)
    (guidance / "rules.toml").write_text("[[rules]]\nid = 1\n", encoding="utf-8")
    config = tmp_path / "clinic.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('# guidance_dir = "guidance"', 'guidance_dir = "guidance"'), encoding="utf-8")
    assert run(["check-config", "--config", str(config)])[0] == 2
    assert "rules.toml: rules[0]" in capsys.readouterr().err


def test_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "bot", "triage", "--hours", "6", "gasping"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["bucket"] == "emergency"
