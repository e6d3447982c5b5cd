"""A patient's follow-up as the use cases see it: finding it, triaging a reply against it,
recording what was judged, and the check-in the patient is answering.

What lives where: the schedule is in the `checkins` rows, a check-in's progress is its answer
rows (the next question is the first one without an answer), and a checklist's ticks before
"Done" ride in its buttons. A check-in is closed when every question is answered or when an
emergency was assessed for it; buttons of a closed or superseded check-in are stale.
Imports the pure packages and reads and writes through `Services.store`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.followup.status import OPEN_CHECKINS, CheckinStatus, PatientStatus
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance, Question
from bot.render import checkin as cr
from bot.render import html as render
from bot.render.html import Safe
from bot.services import alerts
from bot.triage.cases import ESCALATED
from bot.triage.engine import SEVERITY, Assessment, Context, PriorCheckin, Reply, triage

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

QUESTION_ONLY = ["N11"]  # the rules of words that only ask about running, gym, coffee...


@dataclass(frozen=True)
class Followup:
    """A patient and their current follow-up, with what rendering needs."""

    patient: dict[str, Any]
    session: dict[str, Any]
    clinic: Clinic
    guidance: Guidance

    @property
    def lang(self) -> str:
        return self.patient["language"] or "en"

    @property
    def chat_id(self) -> int:
        return self.patient["telegram_id"]

    def say(self, key: str, **values: object) -> Safe:
        return render.message(self.guidance, key, self.lang, **values)


def current(services: Services, telegram_id: int) -> Followup | None:
    """The user's follow-up that is still running or just finished, or None: also after /stop
    or a blocked bot (the patient opted out), whatever older follow-up is on file."""
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None or patient["status"] != PatientStatus.ACTIVE:
        return None
    return _followup(services, patient, services.store.current_session(patient["id"]))


def of_session(services: Services, session_id: int) -> Followup | None:
    session = services.store.session(session_id)
    patient = services.store.patient(session["patient_id"]) if session else None
    return _followup(services, patient, session)


def _followup(services: Services, patient: dict | None, session: dict | None) -> Followup | None:
    if not patient or not session:
        return None
    clinic_id = session["clinic_id"]
    return Followup(patient, session, services.clinic(clinic_id), services.guidance(clinic_id))


def default_guidance(services: Services, telegram_id: int | None = None) -> tuple[Guidance, Clinic]:
    """Guidance for someone without a follow-up: the clinic they last belonged to (kept after
    /stop and /delete), else the first clinic."""
    clinic_id = services.store.tombstone(telegram_id) if telegram_id is not None else None
    known = {c.id: c for c in services.config.clinics}
    clinic = known.get(clinic_id or "", services.config.clinics[0])  # a clinic since removed: the first
    return services.guidance(clinic.id), clinic


# ---- triage


def context(
    f: Followup, hours: float, history: tuple[PriorCheckin, ...] = (), answering: bool = True
) -> Context:
    s = f.session
    return Context(
        hours=hours,
        areas=tuple(json.loads(s["areas"] or "[]")),
        intensity=s["intensity"],
        activities=tuple(json.loads(s["activities"] or "[]")),
        history=history,
        answering=answering,
    )


@dataclass(frozen=True)
class Assessed:
    assessment: Assessment
    assessment_id: int | None  # None: small talk, not an assessment (U2)
    alert_id: int | None
    news: bool = True  # worse than what the same message was judged before (an edit); a new message is news
    alert_edits: tuple[int, ...] = ()  # outbox rows queued: an open alert's copies edited with this finding
    # Words that closed their check-in: its messages' edits queued (their buttons go), and whether
    # it was the follow-up's last check-in (the answer says goodbye).
    checkin_edits: tuple[int, ...] = ()
    closed_last: bool = False
    milder: bool = False  # an edit milder than the message was judged before (news all the same)


def judge(services: Services, f: Followup, reply: Reply, hours: float, answering: bool = True) -> Assessment:
    """Triage a reply against the session and its earlier assessments (for the trend). Pure read.
    `answering`: the patient has a check-in waiting for its reply, so "fine" answers it."""
    earlier = services.store.assessments(f.session["id"])
    history = tuple(PriorCheckin(a["hours"], a["soreness"]) for a in earlier)
    return triage(reply, context(f, hours, history, answering), f.guidance)


def record(
    services: Services,
    f: Followup,
    assessment: Assessment,
    hours: float,
    checkin_id: int | None,
    alert: bool = True,
    message_id: int | None = None,
) -> Assessed:
    """Store an assessment and, for contact or emergency, an alert for the clinic's staff.

    No second alert while one of the same or a graver bucket is still open for this follow-up
    (one open alert per follow-up and bucket at most): the finding is folded into the gravest
    such alert, whose copies are edited to show it. A graver finding is a new alert."""
    store, now, sid = services.store, services.now(), f.session["id"]
    assessment_id = store.add_assessment(
        sid,
        checkin_id,
        hours,
        assessment.bucket,
        assessment.rules,
        cr.reasons(f.guidance, assessment),
        assessment.soreness,
        assessment.trend,
        now,
        message_id,
    )
    alert_id: int | None = None
    edits: tuple[int, ...] = ()
    if alert and assessment.bucket != "normal":
        as_grave = [
            a
            for a in store.open_alerts(f.clinic.id)
            if a["session_id"] == sid and SEVERITY[a["bucket"]] >= SEVERITY[assessment.bucket]
        ]
        if as_grave:  # the staff are being told about this patient already: their alert grows
            folded = max(as_grave, key=lambda a: (SEVERITY[a["bucket"]], a["id"]))
            store.fold_into_alert(folded["id"], assessment_id)
            edits = tuple(alerts.restate(services, folded["id"]))
        else:  # a new message: Telegram tells nobody of an edit
            alert_id = store.add_alert(sid, assessment_id, f.clinic.id, assessment.bucket, now)
            store.ask_after_alert(sid)  # the next check-in asks whether the patient reached the clinic
    log.info("session %s assessment %s: %s (alert %s)", sid, assessment_id, assessment.bucket, alert_id)
    return Assessed(assessment, assessment_id, alert_id, alert_edits=edits)


def outcome(services: Services, f: Followup, assessed: Assessed) -> Safe:
    """What the patient is told of an assessment. Its tips are the most relevant ones this
    follow-up has not listed yet (a topic the patient asks about is answered again, and /tips
    shows them all), recorded as sent. After a contact or emergency outcome, a reassuring one is
    never "an expected reaction": the earlier advice stands."""
    assessment, sid = assessed.assessment, f.session["id"]
    sent = services.store.tips_sent(sid)
    # After a contact or emergency outcome the earlier advice stands: no "expected reaction", and
    # no tip that clears more activity before the clinic has assessed the patient.
    standing = assessment.bucket == "normal" and escalated(services, f)
    fitting = (
        t for t in assessment.tips if (t.topic or t.id not in sent) and (t.after_escalation or not standing)
    )
    fresh = tuple(fitting)[: f.guidance.tips_per_message]
    now = services.now()
    services.store.add_tips_sent(sid, assessed.assessment_id, [t.id for t in fresh], now)
    if standing:
        tips = cr.tips_block(fresh, f.lang, f.guidance.tips_per_message)
        return Safe(re.sub(r"\n{3,}", "\n\n", f.say("outcome_escalation_stands", tips=tips)))
    hours, tz = f.clinic.opening_hours, f.clinic.timezone
    opens = None
    if hours is not None and not hours.is_open(now, tz):
        opens = cr.local_time(f.guidance, f.lang, hours.next_opening(now, tz), tz, now)
    return cr.outcome(f.guidance, f.clinic, f.lang, replace(assessment, tips=fresh), opens)


def escalated(services: Services, f: Followup) -> bool:
    """A contact or emergency outcome is in this follow-up, its alert open or not."""
    return any(a["bucket"] in ESCALATED for a in services.store.assessments(f.session["id"]))


# ---- the open check-in


def questions(f: Followup, checkin: Mapping[str, Any]) -> tuple[Question, ...]:
    """The questions of a check-in: by its nominal hours after treatment (as the guidance names
    them), and, at the first one after an alert, whether the patient reached the clinic."""
    hour = f.guidance.checkin_hour(checkin["hours"])
    return f.guidance.questions_at(hour, after_alert=bool(checkin.get("after_alert")))


def _closed(services: Services, f: Followup, checkin: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Every question answered; or an emergency assessed for it; or answered in words judged
    normal. Words that found a sign keep the rest open, as a sign tapped does (the checklist may
    still find an emergency); so does a question about an activity alone (N11): it asks, it does
    not answer."""
    if all(q.id in answers for q in questions(f, checkin)):
        return True
    assessed = [a for a in services.store.assessments(f.session["id"]) if a["checkin_id"] == checkin["id"]]
    buckets = {a["bucket"] for a in assessed}
    return "emergency" in buckets or (
        checkin["status"] == CheckinStatus.ANSWERED
        and buckets == {"normal"}
        and any(a["rules"] != QUESTION_ONLY for a in assessed)
    )


def open_checkin(services: Services, f: Followup) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The check-in the patient is answering (the latest one sent, unless it is closed) and its
    answers so far."""
    checkin = services.store.latest_sent_checkin(f.session["id"])
    if checkin is None:
        return None
    answers = services.store.checkin_answers(checkin["id"])
    return None if _closed(services, f, checkin, answers) else (checkin, answers)


def checkin_text(
    f: Followup, checkin: Mapping[str, Any], at: float, answers: dict[str, Any], index: int | None
) -> Safe:
    """The check-in message with the answers so far, asking question `index` (None: all answered).

    The check-in's nominal hours choose the questions (that is clinical); the words say the time
    really passed at `at`, which a check-in held back by quiet hours makes longer."""
    name, asked = f.patient["first_name"], questions(f, checkin)
    return cr.checkin_text(f.guidance, f.lang, name, elapsed_hours(f, at), asked, answers, index)


def elapsed_hours(f: Followup, at: float) -> float:
    """Hours since the session at `at`, on the follow-up's clock (a sped-up demo counts its own)."""
    return (at - f.session["treated_at"]) * (f.session["clock_speed"] or 1) / 3600


def sent_at(checkin: dict[str, Any]) -> float:
    """When the check-in message went out: its edits keep saying what it said then."""
    return checkin["sent_at"] or checkin["due_at"]


def last_checkin(services: Services, f: Followup, checkin: dict[str, Any]) -> bool:
    """No check-in of the follow-up after this one is still to come or waiting for its answer."""
    return not any(
        c["idx"] > checkin["idx"] and c["status"] in OPEN_CHECKINS
        for c in services.store.checkins(f.session["id"])
    )


def next_question(f: Followup, checkin: dict[str, Any], answers: dict[str, Any]) -> int:
    """The index of the check-in's first question without an answer (the check-in is open)."""
    return next(i for i, q in enumerate(questions(f, checkin)) if q.id not in answers)
