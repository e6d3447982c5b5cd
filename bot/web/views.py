"""The rows each page shows, from the store's rows: pure shaping (names neutralised, labels
from the guidance, times in the clinic's zone), so templates only lay them out.
Imports `bot.render`, `bot.followup` and `bot.triage`'s bucket order."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from bot.followup.status import AlertStatus
from bot.guidance.config import Clinic
from bot.guidance.model import BUCKETS, Guidance
from bot.render import alerts as labels
from bot.render.html import one_line
from bot.web.texts import Texts, waited

SAID_LIMIT = 160  # characters of a patient's words on the worklist; the timeline has them all


@dataclass(frozen=True)
class AlertRow:
    id: int
    patient_id: int
    reference: str  # the clinic's own, from enrolment ("" when none was given)
    name: str
    bucket: str
    bucket_label: Markup
    said: str
    reasons: list[str]
    waited: Markup
    who: str | None
    open: bool


def severity(bucket: str) -> int:
    """Emergency first: the higher a bucket in the guidance's order, the sooner it is shown."""
    return BUCKETS.index(bucket) if bucket in BUCKETS else -1


def worklist(
    rows: list[dict[str, Any]], guidance: Guidance, clinic: Clinic, text: Texts, now: float
) -> list[AlertRow]:
    """Open alerts first (the gravest, then the longest waiting), then those someone has."""
    buckets = {
        b: Markup(labels.bucket_label(guidance, b, clinic.language)) for b in {r["bucket"] for r in rows}
    }
    wait = functools.cache(lambda seconds: waited(text, seconds))  # many alerts share a minute
    reason = functools.cache(lambda said: one_line(said, SAID_LIMIT))  # and a rule's reason
    rows = sorted(
        rows, key=lambda r: (r["status"] != AlertStatus.OPEN, -severity(r["bucket"]), r["created_at"])
    )
    return [
        AlertRow(
            id=row["id"],
            patient_id=row["patient_id"],
            reference=row["patient_ref"] or "",
            name=labels.patient_name(row),
            bucket=row["bucket"],
            bucket_label=buckets[row["bucket"]],
            said=one_line(row["words"], SAID_LIMIT) if row["words"] else "",
            reasons=[reason(r) for r in row["reasons"]],
            waited=wait(int((now if is_open else row["acknowledged_at"]) - row["created_at"]) // 60 * 60),
            who=None if is_open else labels.staff_name(clinic, row["acknowledged_by"]),
            open=is_open,
        )
        for row in rows
        for is_open in (row["status"] == AlertStatus.OPEN,)
    ]


def followup_row(row: dict[str, Any], guidance: Guidance, clinic: Clinic) -> dict[str, Any]:
    language = clinic.language
    return {
        "patient_id": row["patient_id"],
        "reference": row["patient_ref"] or "",
        "name": labels.patient_name(row),
        "treated": labels.local_time(row["treated_at"], clinic),
        "areas": labels.area_labels(guidance, row["areas"], language),
        "next": labels.local_time(row["next_due"], clinic) if row["next_due"] else "–",
        "bucket": Markup(labels.bucket_label(guidance, row["last_bucket"] or "none", language)),
        "missed": row["missed"],
        "paused": row["status"] != "active",
        "practitioner": labels.staff_name(clinic, row["practitioner_id"]) if row["practitioner_id"] else "",
    }


def timeline_events(
    checkins: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    assessments: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    photos: list[dict[str, Any]],
    guidance: Guidance,
    clinic: Clinic,
) -> list[dict[str, Any]]:
    """Everything that happened in a follow-up, in time order, each with its kind for the template."""
    language = clinic.language
    events: list[tuple[float, int, dict[str, Any]]] = []
    for c in checkins:
        at = c["sent_at"] or c["due_at"]
        events.append(
            (at, 0, {"kind": "checkin", "hours": labels.format_hours(c["hours"] or 0), "status": c["status"]})
        )
    for a in answers:
        if a["question_id"] == "text":
            item = {"kind": "words", "words": one_line(a["value"], labels.FREE_TEXT_LIMIT * 4)}
        else:
            line = labels.answer_line(guidance, language, a["question_id"], a["value"])
            item = {"kind": "answer", "line": Markup(line.removeprefix("• "))}
        events.append((a["received_at"], 1, item))
    for p in photos:
        events.append((p["received_at"], 1, {"kind": "photo", "id": p["id"]}))
    for x in assessments:
        bucket = Markup(labels.bucket_label(guidance, x["bucket"], language))
        events.append(
            (
                x["created_at"],
                2,
                {"kind": "assessment", "bucket": bucket, "reasons": x["reasons"], "rules": x["rules"]},
            )
        )
    for al in alerts:
        who = labels.staff_name(clinic, al["acknowledged_by"]) if al["acknowledged_by"] else None
        bucket = Markup(labels.bucket_label(guidance, al["bucket"], language))
        events.append(
            (
                al["created_at"],
                3,
                {
                    "kind": "alert",
                    "bucket": bucket,
                    "who": who,
                    "acknowledged": labels.local_time(al["acknowledged_at"], clinic)
                    if al["acknowledged_at"]
                    else None,
                },
            )
        )
    return [
        {**item, "time": labels.local_time(at, clinic)}
        for at, _, item in sorted(events, key=lambda e: (e[0], e[1]))
    ]
