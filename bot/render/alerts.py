"""Pure rendering of what staff read about an alert: its text, labels, quotes, trend and buttons.

Data in (guidance, clinic, rows already read), Telegram HTML (`Safe`) or keyboard dicts out;
nothing reads the clock or the database. Every name and word of a patient goes through
`render.neutral` and is escaped. Imports `bot.guidance`, `bot.followup` and `bot.render`."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.followup.plan import nominal_hours
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.render import html as render
from bot.render.html import Button, Safe, escape

ACK = "sa"  # callback action of the Acknowledge button
MESSAGE = "sm"  # callback action of "Message patient" (bot/render/lifecycle.py has the others)
FREE_TEXT_LIMIT = 400  # characters of a patient's own words quoted in an alert
ALERT_LIMIT = 3800  # leaves room under Telegram's 4096 for the reminder prefix or the acknowledgement

Row = Mapping[str, Any]


def alert_text(
    guidance: Guidance,
    clinic: Clinic,
    bucket: str,
    assessment_id: int | None,
    session: Row,
    patient: Row,
    assessments: Sequence[Row],
    session_answers: Sequence[Row],
    now: float,
) -> Safe:
    """The alert as staff first read it: who, what (its `bucket`), why (the assessment that raised
    it), their answers and the soreness trend."""
    language = clinic.language
    assessment = next((a for a in assessments if a["id"] == assessment_id), None)
    judged = assessment["hours"] if assessment is not None else None
    hours = judged if judged is not None else nominal_hours(session, now)
    body = render.message(
        guidance,
        "alert",
        language,
        bucket_label=bucket_label(guidance, bucket, language),
        first_name=patient_link(patient),
        areas=area_labels(guidance, session["areas"], language),
        intensity=intensity_label(guidance, session["intensity"], language),
        treated_at_local=local_time(session["treated_at"], clinic),
        hours=format_hours(hours),
        reasons=reasons_text(assessment),
        answers=answers_text(guidance, language, assessment_answers(session_answers, assessment)),
        trend=trend_text(assessments, assessment),
    )
    return clip(body, ALERT_LIMIT)


def renotified(guidance: Guidance, clinic: Clinic, text: str) -> Safe:
    """An alert's text as a later round repeats it: with the reminder prefix."""
    return Safe(renotify_prefix(guidance, clinic) + text)


def renotify_prefix(guidance: Guidance, clinic: Clinic) -> str:
    return render.message(guidance, "alert_renotify_prefix", clinic.language) + "\n\n"


def ack_keyboard(guidance: Guidance, clinic: Clinic, alert_id: int) -> dict:
    """An open alert's buttons: take it ("I'm handling it"), or write to the patient."""
    take = button_label(guidance, "alert_ack_button", clinic.language)
    write = button_label(guidance, "alert_message_button", clinic.language)
    return render.keyboard(
        [[(take, Button(ACK, alert_id).pack())], [(write, Button(MESSAGE, alert_id).pack())]]
    )


def button_label(guidance: Guidance, key: str, language: str) -> str:
    """A message used as a button label: plain text, not HTML."""
    return html.unescape(guidance.message(key, language))


def bucket_label(guidance: Guidance, bucket: str | None, language: str) -> Safe:
    key = f"bucket_{bucket}"
    if key in guidance.messages.get("en", {}):
        return render.message(guidance, key, language)
    return Safe(escape(bucket or "?"))


def intensity_label(guidance: Guidance, intensity: str | None, language: str) -> Safe:
    key = f"intensity_{intensity}"
    return render.message(guidance, key, language) if key in guidance.messages.get("en", {}) else Safe("?")


def patient_name(patient: Row) -> str:
    """The patient's first name as staff see it (render.neutral), or "?"."""
    return render.neutral(patient.get("first_name") or "").strip() or "?"


def patient_link(patient: Row) -> Safe:
    """The patient's first name as a link that opens their Telegram profile (where they allow it)."""
    name = escape(patient_name(patient))
    telegram_id = patient.get("telegram_id")
    return Safe(f'<a href="tg://user?id={int(telegram_id)}">{name}</a>' if telegram_id else name)


def area_labels(guidance: Guidance, areas_json: str | None, language: str) -> str:
    areas = json.loads(areas_json or "[]")
    return ", ".join(guidance.areas[a].label_in(language) if a in guidance.areas else a for a in areas) or "?"


def local_time(timestamp: float, clinic: Clinic) -> str:
    return datetime.fromtimestamp(timestamp, clinic.timezone).strftime("%Y-%m-%d %H:%M")


def local_clock(timestamp: float, clinic: Clinic) -> str:
    return datetime.fromtimestamp(timestamp, clinic.timezone).strftime("%H:%M %Z")


def format_hours(hours: float) -> str:
    return f"{hours:.0f}" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f}"


def staff_name(clinic: Clinic, telegram_id: int | None) -> str:
    member = clinic.staff_member(telegram_id) if telegram_id is not None else None
    return render.neutral(member.name) if member else f"#{telegram_id}"


def reasons_text(assessment: Row | None) -> Safe:
    """The reasons of the rules that decided the bucket, and the ids of every rule that fired."""
    if not assessment:
        return Safe("?")
    lines = [f"• {escape(reason)}" for reason in assessment["reasons"]]
    if assessment["rules"]:
        lines.append(f"[{escape(', '.join(assessment['rules']))}]")
    return Safe("\n" + "\n".join(lines)) if lines else Safe("?")


def assessment_answers(session_answers: Sequence[Row], assessment: Row | None) -> list[Row]:
    """The answers the assessment judged: its check-in's, or the free text that prompted it."""
    if not assessment:
        return []
    answers = [a for a in session_answers if a["received_at"] <= assessment["created_at"]]
    if assessment["checkin_id"] is not None:
        return [a for a in answers if a["checkin_id"] == assessment["checkin_id"]]
    texts = [a for a in answers if a["checkin_id"] is None and a["question_id"] == "text"]
    return texts[-1:]


def answers_text(guidance: Guidance, language: str, answers: Sequence[Row]) -> Safe:
    lines = [answer_line(guidance, language, a["question_id"], a["value"]) for a in answers]
    return Safe("\n" + "\n".join(lines)) if lines else Safe("–")


def answer_line(guidance: Guidance, language: str, question_id: str, value: Any) -> str:
    """One answer as `• question: value`, option ids shown as their labels; free text quoted."""
    if question_id == "text":
        return f"• “<i>{escape(quote(value))}</i>”"
    question = next((q for q in guidance.questions if q.id == question_id), None)
    name = question_id.replace("_", " ")
    if question is None:
        return f"• {escape(name)}: {escape(quote(value))}"
    labels = {o.id: o.labels.get(language) or o.label for o in question.options}
    if question.kind == "scale" and isinstance(value, (int, float)):
        shown = f"{value}/{question.max}"
    elif isinstance(value, list):
        shown = ", ".join(labels.get(str(v), str(v)) for v in value) or "–"
    else:
        shown = labels.get(str(value), quote(value))
    return f"• {escape(name)}: {escape(shown)}"


def quote(value: Any) -> str:
    """A patient's words on one line (a tag must not span a cut), at most FREE_TEXT_LIMIT long."""
    return render.one_line(value, FREE_TEXT_LIMIT)


def trend_text(assessments: Sequence[Row], upto: Row | None) -> str:
    """Soreness over the follow-up so far, e.g. "6h 3 → 24h 5 → 48h 7"."""
    shown = [a for a in assessments if a["soreness"] is not None and (upto is None or a["id"] <= upto["id"])]
    points = [f"{format_hours(a['hours'] or 0)}h {a['soreness']}" for a in shown]
    text = " → ".join(points) or "–"
    if upto and upto.get("trend"):
        text += f" ({upto['trend'].replace('_', ' ')})"
    return text


def clip(text: str, limit: int) -> Safe:
    """Cut at a line break so the text fits `limit` (lines are built so no tag spans two)."""
    if len(text) <= limit:
        return Safe(text)
    return Safe(text[: limit - 2].rsplit("\n", 1)[0] + "\n…")
