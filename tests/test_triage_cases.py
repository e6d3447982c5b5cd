"""The shipped guidance meets the safety bar on labelled sets of patient replies.

`dev_cases.jsonl` is the shared development set. `triage_holdout.jsonl` and
`triage_blind.jsonl` were written independently from the clinical spec, by authors who never saw
the lexicon, to check that it generalises (the blind set on purpose uses slang, metaphors,
idioms and tricky negation). `triage_conversation.jsonl` holds replies as a new patient writes
them in a chat, per reading mechanism, in English and Spanish: small talk that is no assessment
("none", U2), distress (U3), vague chest or breathing sensations (E10, C17), filler words, day
labels, signs placed in someone else, the past or a worry, denials after the sign, and benign
idioms.
"""

from pathlib import Path

import pytest

from bot.triage.cases import evaluate, read_cases

from .conftest import ROOT, SHARED, require_shared

CASE_SETS = [
    SHARED / "triage" / "dev_cases.jsonl",
    ROOT / "tests" / "data" / "triage_holdout.jsonl",
    ROOT / "tests" / "data" / "triage_blind.jsonl",
    ROOT / "tests" / "data" / "triage_conversation.jsonl",
]

# The bar of issue 10 for unseen sets; the sets here are held to it too.
BAR = 0.92


@pytest.mark.parametrize("path", CASE_SETS, ids=lambda p: p.name)
def test_case_set_meets_the_safety_bar(guidance, path: Path):
    if path.is_relative_to(SHARED):
        require_shared(path)
    report = evaluate(read_cases(path), guidance)
    assert report.labelled >= 60
    assert report.emergency_recall == 1.0, report.summary()
    assert report.escalation_recall == 1.0, report.summary()
    assert report.normal_specificity >= BAR, report.summary()
    assert report.exact_accuracy >= BAR, report.summary()
