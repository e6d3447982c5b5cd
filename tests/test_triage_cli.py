"""`aftercare triage` as a clinic uses it: a regression check that can gate a guidance edit in CI
(exit 1 on any miss), an unknown area refused like `enrol` refuses it, and small talk printed
as no bucket at all."""

import io
import json

import pytest

from bot.__main__ import main


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


def write_cases(tmp_path, *lines: dict) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "cases, code",
    [
        # every case met: exit 0
        (
            [
                {"text": "can't catch my breath", "hours": 24, "area": "calf", "expected": "emergency"},
                {"text": "hola??", "hours": 24, "area": "calf", "expected": "none"},
                {"text": "dull ache, 3/10", "hours": 24, "area": "calf", "expected": "normal"},
            ],
            0,
        ),
        # one miss among hits: exit 1
        (
            [
                {"text": "can't catch my breath", "hours": 24, "area": "calf", "expected": "emergency"},
                {"text": "feeling great", "hours": 24, "area": "calf", "expected": "contact_practitioner"},
            ],
            1,
        ),
        # a greeting expected as normal is a miss: small talk is no evidence of an expected reaction
        ([{"text": "thanks!", "hours": 24, "area": "calf", "expected": "normal"}], 1),
        # unlabelled cases only print their buckets
        ([{"text": "bit sore", "hours": 6, "area": "calf"}], 0),
    ],
)
def test_cases_exit_1_when_any_case_misses(tmp_path, capsys, cases, code):
    assert run(["triage", "--cases", write_cases(tmp_path, *cases)])[0] == code
    summary = capsys.readouterr().err
    assert ("misses: 0" in summary or not summary) == (code == 0)


def test_misses_are_listed_with_the_summary(tmp_path, capsys):
    cases = write_cases(
        tmp_path,
        {"text": "hi", "hours": 48, "area": "hip", "expected": "normal"},
        {"text": "I'm scared", "hours": 48, "area": "hip", "expected": "normal"},
    )
    code, out = run(["triage", "--cases", cases])
    summary = capsys.readouterr().err
    assert code == 1
    assert [json.loads(line)["bucket"] for line in out.splitlines()] == ["none", "contact_practitioner"]
    assert "line 1: expected normal, got none ['U2']: hi" in summary
    assert "line 2: expected normal, got contact_practitioner ['U3']" in summary
    assert "misses: 2" in summary


def test_an_escalation_answered_none_is_a_missed_escalation(tmp_path, capsys):
    cases = write_cases(
        tmp_path, {"text": "hello", "hours": 24, "area": "calf", "expected": "contact_practitioner"}
    )
    assert run(["triage", "--cases", cases])[0] == 1
    assert "escalation recall:   0.0%" in capsys.readouterr().err


@pytest.mark.parametrize("area", ["elbowish", "upper-backk", ""])
def test_an_unknown_area_is_refused_with_the_list_of_areas(capsys, area):
    code, out = run(["triage", "--hours", "24", "--area", area, "short of breath"])
    err = capsys.readouterr().err
    assert (code, out) == (2, "")
    assert f"unknown area {area!r}" in err
    assert "known: neck, upper_trap" in err and "calf" in err


@pytest.mark.parametrize("area", ["upper_back", "Between the shoulder blades", "traps", "back"])
def test_an_area_is_accepted_by_id_or_alias(area):
    code, out = run(["triage", "--hours", "48", "--area", area, "hurts when I breathe in"])
    assert (code, json.loads(out)["bucket"]) == (0, "emergency")


@pytest.mark.parametrize(
    "text, hours, bucket, rule",
    [
        ("hola??", 24, "none", "U2"),
        ("what is this?", 6, "none", "U2"),
        ("fine", 24, "normal", "N8"),  # --hours makes it the answer to that check-in
        ("help", 48, "contact_practitioner", "U3"),
    ],
)
def test_one_reply_is_judged_as_the_answer_to_the_checkin(text, hours, bucket, rule):
    code, out = run(["triage", "--hours", str(hours), "--area", "calf", text])
    result = json.loads(out)
    assert (code, result["bucket"], result["rules"]) == (0, bucket, [rule])
