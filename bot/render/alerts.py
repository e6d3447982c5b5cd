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
FREE_TEXT_LIMIT = 400  # characters of a patient's own words quoted in /patient's timeline
SAID_LIMIT = 200  # characters of their words quoted in an alert: read in seconds
ALERT_LIMIT = 3800  # leaves room under Telegram's 4096 for the reminder prefix or the acknowledgement

Row = Mapping[str, Any]


def alert_text(
    guidance: Guidance,
    clinic: Clinic,
    alert: Row,
    session: Row,
    patient: Row,
    assessments: Sequence[Row],
    session_answers: Sequence[Row],
    now: float,
) -> Safe:
    """The alert as staff read it in ten seconds: severity and who (reference, name, number);
    when they wrote, how long after the session and where; what they said; why, in plain words;
    the soreness trend; their phone. Then the later findings folded into it (`alert["updates"]`),
    the newest quoted. Rule ids are for /patient's detail view."""
    language = clinic.language
    assessment = next((a for a in assessments if a["id"] == alert["assessment_id"]), None)
    answers = assessment_answers(session_answers, assessment)
    judged = assessment["hours"] if assessment is not None else None
    wrote = wrote_at(answers, assessment, alert["created_at"])
    body = render.message(
        guidance,
        "alert",
        language,
        bucket_label=bucket_label(guidance, alert["bucket"], language),
        who=patient_heading(session, patient),
        wrote_local=local_moment(wrote, now, clinic),
        wrote_ago=ago(guidance, language, wrote, now),
        hours=format_hours(judged if judged is not None else nominal_hours(session, now)),
        areas=area_labels(guidance, session["areas"], language),
        said=said_text(guidance, language, answers),
        reasons=plain_reasons(assessment),
        trend=trend_text(assessments, assessment),
        phone=phone_text(guidance, language, session),
    )
    if alert.get("updates"):
        body = Safe(body + "\n" + updates_text(guidance, clinic, alert, assessments, session_answers, now))
    return clip(body, ALERT_LIMIT)


def updates_text(
    guidance: Guidance,
    clinic: Clinic,
    alert: Row,
    assessments: Sequence[Row],
    session_answers: Sequence[Row],
    now: float,
) -> Safe:
    """How many later findings were folded into the alert, and the newest: when and what."""
    latest = next((a for a in assessments if a["id"] == alert.get("latest_assessment_id")), None)
    answers = assessment_answers(session_answers, latest)
    wrote = wrote_at(answers, latest, now)
    return render.message(
        guidance,
        "alert_updates",
        clinic.language,
        count=alert["updates"],
        bucket_label=bucket_label(guidance, latest["bucket"] if latest else None, clinic.language),
        wrote_local=local_moment(wrote, now, clinic),
        wrote_ago=ago(guidance, clinic.language, wrote, now),
        said=said_text(guidance, clinic.language, answers),
        reasons=plain_reasons(latest),
    )


def patient_heading(session: Row, patient: Row) -> Safe:
    """Who the patient is, as staff find them: the clinic's reference (bold), the first name
    (a link to their Telegram profile, the "message patient" of today) and the internal number."""
    return Safe(f"{reference_part(session)}{patient_link(patient)} #{session['patient_id']}")


def reference_part(session: Row) -> str:
    """The clinic's reference for the patient, bold, before what follows it; "" when none."""
    reference = session.get("patient_ref")
    return f"<b>{escape(reference)}</b> · " if reference else ""


def phone_part(session: Row) -> str:
    """The phone the patient shared for this follow-up, after what comes before it; "" when none."""
    phone = session.get("phone")
    return f" · 📞 {escape(phone)}" if phone else ""


def wrote_at(answers: Sequence[Row], assessment: Row | None, fallback: float) -> float:
    """When the patient wrote what was judged: their last answer to it, else when it was judged."""
    if answers:
        return max(a["received_at"] for a in answers)
    return assessment["created_at"] if assessment else fallback


def local_moment(timestamp: float, now: float, clinic: Clinic) -> str:
    """Clinic local time: the clock alone today, with the date on another day."""
    moment = datetime.fromtimestamp(timestamp, clinic.timezone)
    same_day = moment.date() == datetime.fromtimestamp(now, clinic.timezone).date()
    return moment.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")


def ago(guidance: Guidance, language: str, timestamp: float, now: float) -> Safe:
    """How long ago, as a person says it: just now, 12 min ago, 3 h ago."""
    minutes = max(0, int((now - timestamp) // 60))
    if minutes < 1:
        return render.message(guidance, "ago_now", language)
    if minutes < 60:
        return render.message(guidance, "ago_minutes", language, minutes=minutes)
    return render.message(guidance, "ago_hours", language, hours=format_hours(minutes / 60))


def said_text(guidance: Guidance, language: str, answers: Sequence[Row]) -> Safe:
    """What the patient said: their words quoted, then their tapped answers on one line."""
    words = [
        f"“<i>{escape(render.one_line(a['value'], SAID_LIMIT))}</i>”"
        for a in answers
        if a["question_id"] == "text"
    ]
    tapped = [
        tapped_answer(guidance, language, a["question_id"], a["value"])
        for a in answers
        if a["question_id"] != "text"
    ]
    lines = words + ([" · ".join(tapped)] if tapped else [])
    return Safe("\n".join(lines) or "–")


def plain_reasons(assessment: Row | None) -> str:
    """The reasons of the rules that decided the bucket, in plain words on one line."""
    reasons = assessment["reasons"] if assessment else []
    return "; ".join(reasons) or "?"


def phone_text(guidance: Guidance, language: str, session: Row) -> Safe:
    phone = session.get("phone")
    return Safe(escape(phone)) if phone else render.message(guidance, "alert_phone_none", language)


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


def assessment_answers(session_answers: Sequence[Row], assessment: Row | None) -> list[Row]:
    """The answers the assessment judged: its check-in's, or the free text that prompted it."""
    if not assessment:
        return []
    answers = [a for a in session_answers if a["received_at"] <= assessment["created_at"]]
    if assessment["checkin_id"] is not None:
        return [a for a in answers if a["checkin_id"] == assessment["checkin_id"]]
    texts = [a for a in answers if a["checkin_id"] is None and a["question_id"] == "text"]
    return texts[-1:]


def answer_line(guidance: Guidance, language: str, question_id: str, value: Any) -> str:
    """One answer as `• question: value`, option ids shown as their labels; free text quoted."""
    if question_id == "text":
        return f"• “<i>{escape(quote(value))}</i>”"
    return f"• {tapped_answer(guidance, language, question_id, value)}"


def tapped_answer(guidance: Guidance, language: str, question_id: str, value: Any) -> str:
    """A check-in answer as `question: value` (escaped), option ids shown as their labels."""
    question = next((q for q in guidance.questions if q.id == question_id), None)
    name = question_id.replace("_", " ")
    if question is None:
        return f"{escape(name)}: {escape(quote(value))}"
    labels = {o.id: o.labels.get(language) or o.label for o in question.options}
    if question.kind == "scale" and isinstance(value, (int, float)):
        shown = f"{value}/{question.max}"
    elif isinstance(value, list):
        shown = ", ".join(labels.get(str(v), str(v)) for v in value) or "–"
    else:
        shown = labels.get(str(value), quote(value))
    return f"{escape(name)}: {escape(shown)}"


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
