"""Practitioner alerts: what they say, who gets each round, and acknowledgement.

An alert is a row; the delivery tick asks `alert_round` for each round that falls due and
queues the result in the outbox in the same transaction that moves the alert on, so no round
is lost or sent twice across restarts. Rounds are a pure function of the round number and the
clinic's staff list, so nothing about who was told needs storing:

- round 0: the session's practitioner, or every practitioner of the clinic when the session
  has none (every staff member if the clinic has no practitioner);
- round n > 0: the next staff member in config order not told in round 0, then, once all have
  been told, one staff member a round cycling through the whole list in config order;
- every round also goes to the clinic's alert chat, if it has one.

Staff alerts ignore quiet hours, whatever the bucket: a clinician decides when to look.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.render import html as render
from bot.clinic.chart import session_chart
from bot.guidance.config import Clinic
from bot.guidance.loader import Guidance
from bot.render.html import Button, Safe, escape

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

ACK = "sa"  # callback action of the Acknowledge button
FREE_TEXT_LIMIT = 400  # characters of a patient's own words quoted in an alert
ALERT_LIMIT = 3800  # leaves room under Telegram's 4096 for the reminder prefix or the acknowledgement


# ---- who gets each round -------------------------------------------------------------------

def first_recipients(clinic: Clinic, practitioner_id: int | None) -> list[int]:
    """The staff told first: the session's practitioner, else every practitioner, else everyone."""
    if practitioner_id is not None and clinic.is_staff(practitioner_id):
        return [practitioner_id]
    practitioners = [s.telegram_id for s in clinic.staff if s.role == "practitioner"]
    return practitioners or [s.telegram_id for s in clinic.staff]


def round_recipients(clinic: Clinic, practitioner_id: int | None, round_: int) -> list[int]:
    """The chats (staff user ids, then the alert chat) that round `round_` of an alert goes to."""
    first = first_recipients(clinic, practitioner_id)
    if round_ == 0:
        people = first
    else:
        everyone = [s.telegram_id for s in clinic.staff]
        rest = [i for i in everyone if i not in first]
        step = round_ - 1
        people = [rest[step]] if step < len(rest) else [everyone[(step - len(rest)) % len(everyone)]]
    if clinic.alert_chat_id is not None and clinic.alert_chat_id not in people:
        people = [*people, clinic.alert_chat_id]
    return people


def renotify_seconds(clinic: Clinic, session: dict[str, Any] | None) -> float:
    """Real seconds until an unacknowledged alert is sent again (faster under a demo clock)."""
    speed = (session or {}).get("clock_speed") or clinic.clock_speed
    return clinic.alert_renotify_after.total_seconds() / speed


# ---- the delivery hook ---------------------------------------------------------------------

def alert_round(services: Services, alert_row: dict[str, Any]) -> tuple[list[tuple[int, str, dict | None]], float]:
    """Messages (chat, text, markup) for the alert's next round, and when the round after is due."""
    clinic = services.clinic(alert_row["clinic_id"])
    store = services.store
    session = store.session(alert_row["session_id"])
    round_ = alert_row["notify_count"] or 0
    next_at = services.now() + renotify_seconds(clinic, session)
    if session is None:  # erased with the patient; nothing left to tell
        return [], next_at
    guidance = services.guidance(clinic.id)
    text = alert_text(services, alert_row, session)
    if round_ > 0:
        text = Safe(render.message(guidance, "alert_renotify_prefix", clinic.language) + "\n\n" + text)
    markup = ack_keyboard(guidance, clinic, alert_row["id"])
    chats = round_recipients(clinic, session["practitioner_id"], round_)
    log.info("alert %s round %s to %d chats", alert_row["id"], round_, len(chats))
    return [(chat, text, markup) for chat in chats], next_at


async def after_first_round(services: Services, alert_row: dict[str, Any], chats: list[int]) -> int:
    """After an alert's first round is queued: the soreness chart and the patient's photos not
    yet sent to staff, to the same chats, behind the alert's text. Returns the pictures queued."""
    charts = await send_chart(services, alert_row, chats)
    if alert_row["notify_count"] or not chats:  # a reminder repeats the text, not the pictures
        return charts
    session = services.store.session(alert_row["session_id"])
    return charts + (forward_photos(services, alert_row, session, chats) if session else 0)


def forward_photos(services: Services, alert_row: dict[str, Any], session: dict[str, Any],
                   chats: list[int] | None = None) -> int:
    """The follow-up's photos not yet sent to staff, by Telegram file_id, to `chats` (by
    default those the alert's first round went to), as part of alert `alert_row`."""
    clinic = services.clinic(alert_row["clinic_id"])
    chats = chats if chats is not None else round_recipients(clinic, session["practitioner_id"], 0)
    patient = services.store.patient(session["patient_id"]) or {}
    caption = render.message(services.guidance(clinic.id), "alert_photo_caption", clinic.language,
                             first_name=patient_name(patient))
    sent = services.store.forward_photos(session["id"], alert_row["id"], chats, caption, services.now())
    if sent:
        log.info("alert %s: %d photos queued to %d chats", alert_row["id"], sent, len(chats))
    return sent


async def send_chart(services: Services, alert_row: dict[str, Any], chats: list[int]) -> int:
    """After an alert's first round is queued: the patient's soreness chart to the same chats.

    Queued in the outbox behind the alert texts (priority 1, so each chat gets the text first)
    and sent by the same tick; nothing when the session has no score. A chart that cannot be
    drawn is logged and skipped: it must never hold up an alert. Returns the photos queued."""
    if alert_row["notify_count"]:  # round 0 only: a reminder repeats the text, not the picture
        return 0
    store = services.store
    session = store.session(alert_row["session_id"])
    if session is None or not chats:
        return 0
    clinic = services.clinic(alert_row["clinic_id"])
    try:
        patient = store.patient(session["patient_id"]) or {}
        drawn = session_chart(store, services.guidance(clinic.id), clinic.language, session["id"],
                              patient_name(patient))
    except Exception:  # the alert itself is queued; the picture is extra
        log.exception("alert %s: soreness chart not drawn", alert_row["id"])
        return 0
    if drawn is None:
        return 0
    png, caption = drawn
    for chat in chats:
        store.enqueue(chat, "alert_chart", caption, None, services.now(), ref_id=alert_row["id"], priority=1,
                      photo=png, patient_id=session["patient_id"])
    log.info("alert %s chart queued to %d chats", alert_row["id"], len(chats))
    return len(chats)


def ack_keyboard(guidance: Guidance, clinic: Clinic, alert_id: int) -> dict:
    return render.keyboard([[(button_label(guidance, "alert_ack_button", clinic.language), Button(ACK, alert_id).pack())]])


def button_label(guidance: Guidance, key: str, language: str) -> str:
    """A message used as a button label: plain text, not HTML."""
    return html.unescape(guidance.message(key, language))


# ---- what an alert says --------------------------------------------------------------------

def alert_text(services: Services, alert_row: dict[str, Any], session: dict[str, Any]) -> Safe:
    clinic = services.clinic(alert_row["clinic_id"])
    guidance = services.guidance(clinic.id)
    language = clinic.language
    store = services.store
    patient = store.patient(session["patient_id"]) or {}
    assessments = store.assessments(session["id"])
    assessment = next((a for a in assessments if a["id"] == alert_row["assessment_id"]), None)
    hours = assessment["hours"] if assessment and assessment["hours"] is not None else \
        (services.now() - session["treated_at"]) * (session["clock_speed"] or 1) / 3600
    body = render.message(
        guidance, "alert", language,
        bucket_label=bucket_label(guidance, alert_row["bucket"], language),
        first_name=patient_link(patient),
        areas=area_labels(guidance, session["areas"]),
        intensity=intensity_label(guidance, session["intensity"], language),
        treated_at_local=local_time(session["treated_at"], clinic),
        hours=format_hours(hours),
        reasons=reasons_text(assessment),
        answers=answers_text(guidance, language, assessment_answers(store, session["id"], assessment)),
        trend=trend_text(assessments, assessment),
    )
    return clip(body, ALERT_LIMIT)


def bucket_label(guidance: Guidance, bucket: str | None, language: str) -> Safe:
    key = f"bucket_{bucket}"
    if key in guidance.messages.get("en", {}):
        return render.message(guidance, key, language)
    return Safe(escape(bucket or "?"))


def intensity_label(guidance: Guidance, intensity: str | None, language: str) -> Safe:
    key = f"intensity_{intensity}"
    return render.message(guidance, key, language) if key in guidance.messages.get("en", {}) else Safe("?")


def patient_name(patient: dict[str, Any]) -> str:
    """The patient's first name as staff see it (render.neutral), or "?"."""
    return render.neutral(patient.get("first_name") or "").strip() or "?"


def patient_link(patient: dict[str, Any]) -> Safe:
    """The patient's first name as a link that opens their Telegram profile (where they allow it)."""
    name = escape(patient_name(patient))
    telegram_id = patient.get("telegram_id")
    return Safe(f'<a href="tg://user?id={int(telegram_id)}">{name}</a>' if telegram_id else name)


def area_labels(guidance: Guidance, areas_json: str | None) -> str:
    areas = json.loads(areas_json or "[]")
    return ", ".join(guidance.areas[a].label if a in guidance.areas else a for a in areas) or "?"


def local_time(timestamp: float, clinic: Clinic) -> str:
    return datetime.fromtimestamp(timestamp, clinic.timezone).strftime("%Y-%m-%d %H:%M")


def format_hours(hours: float) -> str:
    return f"{hours:.0f}" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f}"


def reasons_text(assessment: dict[str, Any] | None) -> Safe:
    """The reasons of the rules that decided the bucket, and the ids of every rule that fired."""
    if not assessment:
        return Safe("?")
    lines = [f"• {escape(reason)}" for reason in assessment["reasons"]]
    if assessment["rules"]:
        lines.append(f"[{escape(', '.join(assessment['rules']))}]")
    return Safe("\n" + "\n".join(lines)) if lines else Safe("?")


def assessment_answers(store: Any, session_id: int, assessment: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The answers the assessment judged: its check-in's, or the free text that prompted it."""
    if not assessment:
        return []
    answers = [a for a in store.session_answers(session_id) if a["received_at"] <= assessment["created_at"]]
    if assessment["checkin_id"] is not None:
        return [a for a in answers if a["checkin_id"] == assessment["checkin_id"]]
    texts = [a for a in answers if a["checkin_id"] is None and a["question_id"] == "text"]
    return texts[-1:]


def answers_text(guidance: Guidance, language: str, answers: list[dict[str, Any]]) -> Safe:
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
    text = " ".join(render.neutral(value).split())
    return text if len(text) <= FREE_TEXT_LIMIT else text[: FREE_TEXT_LIMIT - 1] + "…"


def trend_text(assessments: list[dict[str, Any]], upto: dict[str, Any] | None) -> str:
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


# ---- acknowledgement -----------------------------------------------------------------------

async def acknowledge(services: Services, alert_id: int, staff_id: int) -> Safe | None:
    """Staff member `staff_id` takes the alert. The first press wins: every copy of the alert is
    edited to say who took it and when, and None is returned; a later press gets back a message
    saying who already has it. The caller has checked that `staff_id` is staff of its clinic."""
    store = services.store
    alert = store.alert(alert_id)
    clinic = services.clinic(alert["clinic_id"])
    guidance = services.guidance(clinic.id)
    now = services.now()
    if not store.acknowledge_alert(alert_id, staff_id, now):
        alert = store.alert(alert_id)
        if alert["status"] != "acknowledged":
            return render.message(guidance, "stale_button", clinic.language)
        return render.message(guidance, "alert_already_acknowledged", clinic.language,
                              staff_name=staff_name(clinic, alert["acknowledged_by"]),
                              time_local=local_clock(alert["acknowledged_at"], clinic))
    log.info("alert %s acknowledged", alert_id)  # by whom is in its row: no Telegram id in logs
    store.cancel_alert_messages(alert_id)
    note = render.message(guidance, "alert_acknowledged", clinic.language,
                          staff_name=staff_name(clinic, staff_id), time_local=local_clock(now, clinic))
    prefix = render.message(guidance, "alert_renotify_prefix", clinic.language) + "\n\n"
    session = store.session(alert["session_id"]) or {}
    for row in store.sent_alert_messages(alert_id):
        if row["message_id"] is None:
            continue
        body = row["text"].removeprefix(prefix)
        await services.edit(row["chat_id"], row["message_id"], Safe(body + "\n\n" + note), None,
                            kind="alert_ack", patient_id=session.get("patient_id"))
    return None


def staff_name(clinic: Clinic, telegram_id: int | None) -> str:
    member = clinic.staff_member(telegram_id) if telegram_id is not None else None
    return render.neutral(member.name) if member else f"#{telegram_id}"


def local_clock(timestamp: float, clinic: Clinic) -> str:
    return datetime.fromtimestamp(timestamp, clinic.timezone).strftime("%H:%M %Z")
