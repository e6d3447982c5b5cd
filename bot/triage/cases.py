"""Run labelled cases through the triage and summarise how it did.

A clinic that edits its rules replays its own cases with `aftercare triage --cases FILE.jsonl`;
the same figures gate the shipped guidance in the tests. Safety figures come first: a missed
emergency or a missed escalation matters far more than an over-cautious normal. A case may
expect "none" (small talk, rule U2): it counts in the exact accuracy, so a greeting answered as
"normal" is a miss, and an escalation answered "none" is a missed escalation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.guidance.model import Guidance
from bot.triage.engine import BUCKETS, NO_BUCKET, Context, Reply, triage

EXPECTABLE = (*BUCKETS, NO_BUCKET)
ESCALATED = ("contact_practitioner", "emergency")


class CaseError(ValueError):
    """A cases file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Case:
    text: str
    hours: float
    areas: tuple[str, ...]
    expected: str | None
    line: int


def read_cases(path: Path) -> list[Case]:
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CaseError(f"{path}: {error.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                raise ValueError('each line needs a "text"')
            area = data.get("area") or ()
            expected = data.get("expected")
            if expected is not None and expected not in EXPECTABLE:
                raise ValueError(f"expected must be one of {', '.join(EXPECTABLE)}")
            cases.append(
                Case(
                    data["text"],
                    float(data.get("hours", 24)),
                    (area,) if isinstance(area, str) else tuple(area),
                    expected,
                    number,
                )
            )
        except (ValueError, TypeError) as error:
            raise CaseError(f"{path}: line {number}: {error}") from None
    return cases


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


@dataclass(frozen=True)
class Report:
    results: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    labelled: int
    emergency_recall: float | None
    escalation_recall: float | None
    normal_specificity: float | None
    exact_accuracy: float | None

    def summary(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.1%}"

        lines = [
            f"cases with expected: {self.labelled}",
            f"emergency recall:    {pct(self.emergency_recall)}",
            f"escalation recall:   {pct(self.escalation_recall)}",
            f"normal specificity:  {pct(self.normal_specificity)}",
            f"exact accuracy:      {pct(self.exact_accuracy)}",
            f"misses: {len(self.misses)}",
        ]
        lines += [
            f"  line {m['line']}: expected {m['expected']}, got {m['bucket']} {m['rules']}: {m['text']}"
            for m in self.misses
        ]
        return "\n".join(lines)


def evaluate(cases: Sequence[Case], guidance: Guidance) -> Report:
    results, misses = [], []
    for case in cases:
        assessment = triage(Reply(case.text), Context(hours=case.hours, areas=case.areas), guidance)
        result = {"line": case.line, **assessment.as_dict()}
        if case.expected:
            result["expected"] = case.expected
            if assessment.bucket != case.expected:
                misses.append({**result, "text": case.text})
        results.append(result)
    labelled = [r for r in results if "expected" in r]
    emergencies = [r for r in labelled if r["expected"] == "emergency"]
    escalations = [r for r in labelled if r["expected"] in ESCALATED]
    normals = [r for r in labelled if r["expected"] == "normal"]
    return Report(
        results=results,
        misses=misses,
        labelled=len(labelled),
        emergency_recall=_ratio(sum(r["bucket"] == "emergency" for r in emergencies), len(emergencies)),
        escalation_recall=_ratio(sum(r["bucket"] in ESCALATED for r in escalations), len(escalations)),
        normal_specificity=_ratio(sum(r["bucket"] == "normal" for r in normals), len(normals)),
        exact_accuracy=_ratio(sum(r["bucket"] == r["expected"] for r in labelled), len(labelled)),
    )
