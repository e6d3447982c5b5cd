"""One patient's follow-up: consent, the check-in plan, answers, triage, alerts and outcomes.

Functions take `services` (store, guidance, clinic, clock) and return what to send as `Out`
items; `bot/telegram/patient.py` sends them through the outbox. Nothing here speaks Telegram, so every
rule of the follow-up can be tested against a real Store without a bot.

What lives where: the schedule is in the `checkins` rows, a check-in's progress is its answer
rows (the next question is the first one without an answer), and a checklist's ticks before
"Done" ride in its buttons. A check-in is closed when every question is answered or when an
emergency was assessed for it; buttons of a closed or superseded check-in are stale.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.services import alerts
from bot.render import checkin as cr
from bot.render import html as render
from bot.services.alerts import round_recipients
from bot.guidance.config import Clinic
from bot.guidance.loader import Guidance, Question
from bot.render.html import Button, Safe
from bot.followup.schedule import plan_checkins
from bot.triage.engine import NO_BUCKET, SEVERITY, Assessment, Context, PriorCheckin, Reply, triage

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

LIVE = ("active", "paused", "completed")  # a follow-up the patient can still talk to


@dataclass(frozen=True)
class Out:
    """One message to send (or, with `edit`, an edit of the bot message with that id)."""

    text: str
    markup: dict | None = None
    edit: int | None = None
    chat_id: int | None = None  # None: the patient
    kind: str = "reply"
    patient_id: int | None = None  # the patient a message to staff is about: erased with them
    queued: int | None = None  # an outbox row already queued with what it follows: only send it


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
    if patient is None or patient["status"] != "active":
        return None
    return _followup(services, patient, services.store.current_session(patient["id"]))


def of_session(services: Services, session_id: int) -> Followup | None:
    session = services.store.session(session_id)
    patient = services.store.patient(session["patient_id"]) if session else None
    return _followup(services, patient, session)


def _followup(services: Services, patient: dict | None, session: dict | None) -> Followup | None:
    if not patient or not session:
        return None
    return Followup(patient, session, services.clinic(session["clinic_id"]), services.guidance(session["clinic_id"]))


def default_guidance(services: Services, telegram_id: int | None = None) -> tuple[Guidance, Clinic]:
    """Guidance for someone without a follow-up: the clinic they last belonged to (kept after
    /stop and /delete), else the first clinic."""
    clinic_id = services.store.tombstone(telegram_id) if telegram_id is not None else None
    known = {c.id: c for c in services.config.clinics}
    clinic = known.get(clinic_id or "", services.config.clinics[0])  # a clinic since removed: the first
    return services.guidance(clinic.id), clinic


# ---- consent and the check-in plan

def valid_token(services: Services, token: str | None) -> dict[str, Any] | None:
    row = services.store.enrol_token(token) if token else None
    if row is None or row["used_at"] is not None or row["expires_at"] <= services.now():
        return None
    return row


def consent(services: Services, token_row: dict[str, Any], language_code: str | None) -> Out:
    """The consent message, with buttons carrying the token (it fits: 32 of [A-Za-z0-9_-])."""
    clinic, guidance = services.clinic(token_row["clinic_id"]), services.guidance(token_row["clinic_id"])
    lang = cr.language_for(guidance, language_code)
    value = token_row["token"] if len(token_row["token"]) <= 36 else ""
    markup = render.keyboard([
        [(render.message(guidance, "consent_accept_button", lang), Button(cr.CONSENT_YES, 0, value).pack())],
        [(render.message(guidance, "consent_decline_button", lang), Button(cr.CONSENT_NO, 0, value).pack())],
    ])
    text = render.message(guidance, "consent", lang, clinic_name=clinic.name, emergency_number=clinic.emergency_number,
                          retention_days=clinic.retention_days)
    return Out(text, markup)


def plan(clinic: Clinic, treated_at: float, now: float) -> list[tuple[int, float, float]]:
    """(index, nominal hours, due_at) of the check-ins to send.

    Offsets run `clock_speed` times faster (a demo); triage still sees nominal hours. Check-ins
    absorbed by quiet hours are dropped. Of those already due (a late consent), only the latest
    is kept, so the patient gets one check-in now rather than a burst of stale ones.
    """
    offsets = [offset / clinic.clock_speed for offset in clinic.checkins]
    planned = plan_checkins(datetime.fromtimestamp(treated_at, UTC), offsets, clinic.timezone, clinic.quiet_hours)
    rows = [(p.index, clinic.checkins[p.index].total_seconds() / 3600, p.due_at.timestamp()) for p in planned if not p.absorbed]
    past = [r for r in rows if r[2] <= now]
    return past[-1:] + [r for r in rows if r[2] > now]


def accept(services: Services, token: str, telegram_id: int, first_name: str, language_code: str | None) -> Out | None:
    """Start the follow-up the token describes; None when the link is no longer valid."""
    store, now = services.store, services.now()
    row = valid_token(services, token)
    if row is None or not store.use_enrol_token(token, now):
        return None
    clinic, guidance = services.clinic(row["clinic_id"]), services.guidance(row["clinic_id"])
    lang = cr.language_for(guidance, language_code)
    existing = store.patient_by_telegram(telegram_id)
    running = store.current_session(existing["id"]) if existing else None
    replaces = running is not None and running["status"] in ("active", "paused")
    patient_id = store.save_patient(telegram_id, first_name, lang, clinic.id, now)
    checkins = plan(clinic, row["treated_at"], now)
    session_id = store.start_session(patient_id, row, clinic.clock_speed, checkins, now)
    log.info("patient %s consented: session %s, %d check-ins%s", patient_id, session_id, len(checkins),
             " (replaces the running one)" if replaces else "")
    first = min(due for _, _, due in checkins)
    text = render.message(guidance, "consent_accepted", lang,
                          first_checkin_local=cr.local_time(guidance, lang, first, clinic.timezone, now))
    if replaces:
        text = Safe(render.message(guidance, "new_session_replaces", lang) + "\n\n" + text)
    return Out(text)


# ---- triage

def nominal_hours(session: dict[str, Any], now: float) -> float:
    """Hours since treatment as triage sees them (a demo clock runs `clock_speed` times faster)."""
    return max(0.0, (now - session["treated_at"]) * (session["clock_speed"] or 1.0) / 3600)


def context(f: Followup, hours: float, history: tuple[PriorCheckin, ...] = (), answering: bool = True) -> Context:
    s = f.session
    return Context(hours=hours, areas=tuple(json.loads(s["areas"] or "[]")), intensity=s["intensity"],
                   activities=tuple(json.loads(s["activities"] or "[]")), history=history, answering=answering)


@dataclass(frozen=True)
class Assessed:
    assessment: Assessment
    assessment_id: int | None  # None: small talk, not an assessment (U2)
    alert_id: int | None
    news: bool = True  # worse than what the same message was judged before (an edit); a new message is news


def judge(services: Services, f: Followup, reply: Reply, hours: float, answering: bool = True) -> Assessment:
    """Triage a reply against the session and its earlier assessments (for the trend). Pure read.
    `answering`: the patient has a check-in waiting for its reply, so "fine" answers it."""
    history = tuple(PriorCheckin(a["hours"], a["soreness"]) for a in services.store.assessments(f.session["id"]))
    return triage(reply, context(f, hours, history, answering), f.guidance)


def record(services: Services, f: Followup, assessment: Assessment, hours: float, checkin_id: int | None,
           alert: bool = True, message_id: int | None = None) -> Assessed:
    """Store an assessment and, for contact or emergency, an alert for the clinic's staff.

    No second alert while one of the same or a worse bucket is still open for this follow-up:
    the staff are already being told (and reminded) about this patient."""
    store, now, sid = services.store, services.now(), f.session["id"]
    assessment_id = store.add_assessment(sid, checkin_id, hours, assessment.bucket, assessment.rules,
                                         cr.reasons(f.guidance, assessment), assessment.soreness, assessment.trend, now,
                                         message_id)
    alert_id = None
    if alert and assessment.bucket != "normal":
        open_same = [a for a in store.open_alerts(f.clinic.id)
                     if a["session_id"] == sid and SEVERITY[a["bucket"]] >= SEVERITY[assessment.bucket]]
        if not open_same:
            alert_id = store.add_alert(sid, assessment_id, f.clinic.id, assessment.bucket, now)
    log.info("session %s assessment %s: %s (alert %s)", sid, assessment_id, assessment.bucket, alert_id)
    return Assessed(assessment, assessment_id, alert_id)


def outcome(f: Followup, assessment: Assessment) -> Safe:
    return cr.outcome(f.guidance, f.clinic, f.lang, assessment)


# ---- check-ins

def _questions(f: Followup, checkin: dict[str, Any]) -> tuple[Question, ...]:
    return f.guidance.questions_at(f.guidance.checkin_hour(checkin["hours"]))


def render_checkin(services: Services, checkin: dict[str, Any]) -> tuple[int, str, dict | None] | None:
    """The check-in message with its first question, or None if the follow-up is not active."""
    f = of_session(services, checkin["session_id"])
    if f is None or f.session["status"] != "active" or f.patient["status"] != "active":
        return None
    questions = _questions(f, checkin)
    text = cr.checkin_text(f.guidance, f.lang, f.patient["first_name"], checkin["hours"], questions, {}, 0)
    return f.chat_id, text, cr.question_keyboard(f.guidance, f.lang, checkin["id"], 0, questions[0])


def render_reminder(services: Services, checkin: dict[str, Any]) -> tuple[int, str, None] | None:
    f = of_session(services, checkin["session_id"])
    if f is None or f.patient["status"] != "active":
        return None
    return f.chat_id, f.say("reminder", hours=cr.hours_label(checkin["hours"])), None


def missed(services: Services, f: Followup, in_a_row: int) -> list[Out]:
    """At exactly the clinic's threshold of check-ins missed in a row, tell the clinic (who may
    call) and the patient (who may just be busy): once per run of silence, not at every miss."""
    if in_a_row != f.clinic.missed_alert_after or f.patient["status"] != "active":
        return []
    log.info("session %s: %d check-ins missed in a row", f.session["id"], in_a_row)
    text = render.message(f.guidance, "missed_checkins_alert", f.clinic.language,
                          first_name=alerts.patient_name(f.patient), count=in_a_row)
    staff = [Out(text, chat_id=chat, kind="staff", patient_id=f.patient["id"])
             for chat in round_recipients(f.clinic, f.session["practitioner_id"], 0)]
    return [Out(f.say("checkin_missed_notice"), kind="missed"), *staff]


def _closed(services: Services, f: Followup, checkin: dict[str, Any], answers: dict[str, Any]) -> bool:
    if all(q.id in answers for q in _questions(f, checkin)):
        return True
    return any(a["checkin_id"] == checkin["id"] and a["bucket"] == "emergency"
               for a in services.store.assessments(f.session["id"]))


def open_checkin(services: Services, f: Followup) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The check-in the patient is answering (the latest one sent, unless it is closed) and its
    answers so far."""
    checkin = services.store.latest_sent_checkin(f.session["id"])
    if checkin is None:
        return None
    answers = services.store.checkin_answers(checkin["id"])
    return None if _closed(services, f, checkin, answers) else (checkin, answers)


def _ints(value: str, count: int) -> list[int] | None:
    parts = value.split(".")
    if len(parts) != count or not all(p.isdigit() and len(p) <= 9 for p in parts):
        return None
    return [int(p) for p in parts]


def press(services: Services, telegram_id: int, button: Button, message_id: int) -> list[Out] | None:
    """A check-in button; None when it is stale, foreign or forged (nothing is changed)."""
    f = current(services, telegram_id)
    if f is None:
        return None
    store = services.store
    checkin = store.checkin(button.row_id)
    if checkin is None or checkin["session_id"] != f.session["id"]:
        return None
    open_ = open_checkin(services, f)
    if open_ is None or open_[0]["id"] != checkin["id"]:
        return None
    questions = _questions(f, checkin)
    answers = open_[1]
    index = next(i for i, q in enumerate(questions) if q.id not in answers)
    question = questions[index]
    parsed = _ints(button.value, 3 if button.action == cr.TOGGLE else 2)
    if parsed is None or parsed[0] != index:
        return None
    if button.action == cr.ANSWER and question.kind == "scale" and question.min <= parsed[1] <= question.max:
        value: Any = parsed[1]
    elif button.action == cr.ANSWER and question.kind == "choice" and parsed[1] < len(question.options):
        value = question.options[parsed[1]].id
    elif button.action == cr.TOGGLE and question.kind == "checklist" and parsed[1] < len(question.options) \
            and parsed[2] < 1 << len(question.options):
        option, mask = question.options[parsed[1]], parsed[2]
        if not (mask >> parsed[1] & 1 and _flagged(f, option.findings)):
            keyboard = cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, question, mask)
            text = cr.checkin_text(f.guidance, f.lang, f.patient["first_name"], checkin["hours"], questions, answers, index)
            return [Out(text, keyboard, edit=message_id)]
        value = cr.chosen(question, mask)  # a red flag does not wait for "Done"
    elif button.action == cr.DONE and question.kind == "checklist" and parsed[1] < 1 << len(question.options):
        value = cr.chosen(question, parsed[1]) or ([question.none_option] if question.none_option else [])
    else:
        return None
    store.add_answer(f.session["id"], checkin["id"], question.id, value, services.now())
    return _after_answer(services, f, checkin, questions, question, value, message_id)


def _flagged(f: Followup, findings: tuple[str, ...]) -> bool:
    return any(f.guidance.lexicon.is_flag(x) for x in findings)


def _answer_flagged(f: Followup, question: Question, value: Any) -> bool:
    chosen = value if isinstance(value, list) else [value]
    return any(_flagged(f, o.findings) for o in question.options if o.id in chosen)


def _checkin_text_of(services: Services, checkin_id: int, session_id: int) -> str:
    return "\n".join(a["value"] for a in services.store.session_answers(session_id)
                     if a["checkin_id"] == checkin_id and a["question_id"] == "text")


def _after_answer(services: Services, f: Followup, checkin: dict[str, Any], questions: tuple[Question, ...],
                  question: Question, value: Any, message_id: int) -> list[Out]:
    """Ask the next question, or assess: after the last one, or at once on a red flag.

    A red flag that is not an emergency is told at once, then the remaining questions follow in
    a new message below the outcome: the warning-sign checklist may still find an emergency."""
    store, now = services.store, services.now()
    answers = store.checkin_answers(checkin["id"])
    remaining = [i for i, q in enumerate(questions) if q.id not in answers]
    name, hours = f.patient["first_name"], checkin["hours"]
    if remaining and not _answer_flagged(f, question, value):
        nxt = remaining[0]
        return [Out(cr.checkin_text(f.guidance, f.lang, name, hours, questions, answers, nxt),
                    cr.question_keyboard(f.guidance, f.lang, checkin["id"], nxt, questions[nxt]), edit=message_id)]
    earlier = [SEVERITY[a["bucket"]] for a in store.assessments(f.session["id"]) if a["checkin_id"] == checkin["id"]]
    assessment = judge(services, f, Reply(_checkin_text_of(services, checkin["id"], f.session["id"]), answers), hours)
    final = not remaining or assessment.bucket == "emergency"
    worse = SEVERITY[assessment.bucket] > max(earlier, default=-1)
    summary = Out(cr.checkin_text(f.guidance, f.lang, name, hours, questions, answers, None), None, edit=message_id)
    if not final and not (worse and assessment.bucket != "normal"):
        nxt = remaining[0]  # a flag the rules do not act on: carry on
        return [Out(cr.checkin_text(f.guidance, f.lang, name, hours, questions, answers, nxt),
                    cr.question_keyboard(f.guidance, f.lang, checkin["id"], nxt, questions[nxt]), edit=message_id)]
    record(services, f, assessment, hours, checkin["id"], alert=worse)
    if not final:
        nxt = remaining[0]
        return [summary, Out(outcome(f, assessment)),
                Out(cr.checkin_text(f.guidance, f.lang, name, hours, questions, answers, nxt),
                    cr.question_keyboard(f.guidance, f.lang, checkin["id"], nxt, questions[nxt]))]
    store.checkin_answered(checkin["id"], now)
    text = outcome(f, assessment) if worse else f.say("answer_recorded")
    if assessment.bucket != "emergency" and _last(services, f, checkin):
        text = Safe(text + "\n\n" + f.say("followup_complete"))
    return [summary, Out(text)]


def _last(services: Services, f: Followup, checkin: dict[str, Any]) -> bool:
    return not any(c["idx"] > checkin["idx"] and c["status"] in ("pending", "paused", "sending")
                   for c in services.store.checkins(f.session["id"]))


@dataclass(frozen=True)
class Words:
    """What the patient sent (words, a photo or both), stored, with what answering needs."""

    followup: Followup
    text: str
    received_at: float
    checkin_id: int | None = None  # the open check-in they joined
    answers: dict[str, Any] = field(default_factory=dict)  # its answers so far
    answering: bool = False  # that check-in still waits for its reply: "fine" answers it
    answer_id: int | None = None  # the stored words
    message_id: int | None = None  # the patient's Telegram message
    replayed: bool = False  # taken before: the update was handed over again after a restart (bot/telegram/intake.py)


def take_words(services: Services, telegram_id: int, text: str, message_id: int | None = None,
               photo: str | None = None) -> Words | None:
    """Store what the patient sent, at any time; None: no follow-up (nothing is stored). They
    are committed on their own, before anything else is done with them: answering may fail,
    keeping them may not. A photo is kept as Telegram's file_id, never its bytes.

    During a check-in the words join it: its final assessment reads them too. The same message
    taken again (a restart handed its update over twice) is not stored twice."""
    f = current(services, telegram_id)
    if f is None:
        return None
    store, now, sid = services.store, services.now(), f.session["id"]
    open_ = open_checkin(services, f)
    checkin_id = open_[0]["id"] if open_ else None
    answer_id = store.message_taken(sid, message_id, text) if message_id is not None and text.strip() else None
    replayed = answer_id is not None or (
        photo is not None and not text.strip() and any(p["message_id"] == message_id and p["file_id"] == photo
                                                       for p in store.photos(sid)))
    if not replayed:
        with store.transaction():
            answer_id = store.add_answer(sid, checkin_id, "text", text, now, message_id) if text.strip() else None
            if photo is not None:
                store.add_photo(sid, checkin_id, message_id, photo, now)
        if photo is not None:
            forward_photos(services, f)
    answering = open_ is not None and open_[0]["status"] == "sent"
    return Words(f, text, now, checkin_id, open_[1] if open_ else {}, answering, answer_id, message_id, replayed)


def forward_photos(services: Services, f: Followup) -> int:
    """A photo sent while an alert about this follow-up is open and already out goes to the
    staff told first, at once; otherwise it goes with the follow-up's next alert."""
    told = [a for a in services.store.open_alerts(f.clinic.id) if a["session_id"] == f.session["id"] and a["notify_count"]]
    return alerts.forward_photos(services, told[-1], f.session) if told else 0


def assess_words(services: Services, words: Words, edited: bool = False) -> Assessed:
    """Triage stored words (with the check-in's answers so far), record the assessment and any
    alert, and count the words as the check-in's reply. The caller commits these writes together
    (`Store.transaction`), before building the answer (`answer`): a failure there must not take
    back an alert.

    Words that say nothing about the patient (U2, bucket "none") are no assessment: nothing is
    recorded and the check-in stays open. An edit is judged like new words; it is news (answered)
    only when worse than the message was judged before, and a milder edit takes nothing back."""
    f, checkin_id = words.followup, words.checkin_id
    hours = nominal_hours(f.session, words.received_at)
    before = services.store.message_buckets(f.session["id"], words.message_id) if edited and words.message_id else []
    assessment = judge(services, f, Reply(words.text, words.answers), hours, words.answering)
    news = not edited or SEVERITY[assessment.bucket] > max((SEVERITY[b] for b in before), default=SEVERITY[NO_BUCKET])
    if assessment.bucket == NO_BUCKET:
        if words.answer_id is not None:
            services.store.detach_answer(words.answer_id)
        return Assessed(assessment, None, None, news)
    assessed = record(services, f, assessment, hours, checkin_id, message_id=words.message_id)
    if checkin_id:
        services.store.checkin_answered(checkin_id, words.received_at)
    return Assessed(assessment, assessed.assessment_id, assessed.alert_id, news)


@dataclass(frozen=True)
class Answer:
    """The answer to what the patient sent so far (an outbox row of kind `store.ANSWER`)."""

    text: str
    markup: dict | None
    bucket: str  # of the assessment it answers; NO_BUCKET for small talk and photos
    assessment_id: int | None = None

    @property
    def urgent(self) -> bool:
        return self.bucket == "emergency"


def answer(services: Services, words: Words, assessed: Assessed | None) -> Answer:
    """The answer to these words alone: the outcome of their assessment; for small talk, what I
    am for with the open check-in's question and buttons again; for a photo without words, what
    it shows. Both of those end with the emergency number, and neither says "expected reaction"."""
    f = words.followup
    if assessed is not None and assessed.assessment.bucket != NO_BUCKET:
        return Answer(outcome(f, assessed.assessment), None, assessed.assessment.bucket, assessed.assessment_id)
    if assessed is None:  # a photo without words
        return Answer(cr.with_emergency_line(f.guidance, f.clinic, f.lang, "photo_without_words"), None, NO_BUCKET)
    question, markup = _open_question(services, f)
    return Answer(cr.small_talk(f.guidance, f.clinic, f.lang, question), markup, NO_BUCKET)


def _open_question(services: Services, f: Followup) -> tuple[Safe | None, dict | None]:
    """The open check-in's current question, as its message shows it, and its buttons."""
    open_ = open_checkin(services, f)
    if open_ is None:
        return None, None
    checkin, answers = open_
    questions = _questions(f, checkin)
    index = next(i for i, q in enumerate(questions) if q.id not in answers)
    text = cr.checkin_text(f.guidance, f.lang, f.patient["first_name"], checkin["hours"], questions, answers, index)
    return text, cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, questions[index])


def severity(bucket: str | None) -> int:
    return SEVERITY[bucket or NO_BUCKET]


def supersede(services: Services, chat_id: int, new: Answer) -> Answer | None:
    """One answer to the conversation so far. The chat's answers still waiting (non-urgent,
    not yet being sent) are superseded, and the worst of them and the new one is what is sent:
    the most serious bucket, the newest among equals. None: an emergency answer to this chat is
    still going out, and answers everything written since; nothing milder goes after it."""
    if not new.urgent and services.store.urgent_answer_unsent(chat_id):
        services.store.supersede_answers(chat_id)
        return None
    waiting = [Answer(r["text"], r["markup"], r["bucket"] or NO_BUCKET, r["ref_id"])
               for r in services.store.supersede_answers(chat_id)]
    if waiting:
        log.info("chat answers superseded: %d", len(waiting))
    return max(reversed([*waiting, new]), key=lambda a: severity(a.bucket))


def unfollowed(services: Services, telegram_id: int, text: str, lang: str) -> Answer | None:
    """Someone no clinic follows (never enrolled, stopped, erased, blocked the bot) wrote: if it
    holds an emergency, the emergency text, with the number of the clinic they last belonged to.
    Nothing is stored, assessed for or alerted to any clinic. None: no emergency."""
    guidance, clinic = default_guidance(services, telegram_id)
    # Hours and area unknown: hour 0 and no area, which A3 treats as thoracic-risk.
    assessment = triage(Reply(text), Context(hours=0.0, answering=False), guidance)
    if assessment.bucket != "emergency":
        return None
    log.info("an emergency from a chat no clinic follows; answered, nothing stored")
    return Answer(cr.emergency_unfollowed(guidance, clinic, lang), None, "emergency")


# ---- patient commands

def status(services: Services, f: Followup) -> Out:
    store, now = services.store, services.now()
    checkins = store.checkins(f.session["id"])
    pending = sorted((c for c in checkins if c["status"] == "pending"), key=lambda c: c["due_at"])
    if f.session["status"] == "paused":
        nxt = f.say("next_checkin_paused")
    elif pending:
        nxt = cr.local_time(f.guidance, f.lang, pending[0]["due_at"], f.clinic.timezone, now)
    else:
        nxt = f.say("next_checkin_none")
    summary = cr.answers_summary(f.guidance, f.lang, checkins, store.session_answers(f.session["id"]))
    return Out(f.say("status", next_checkin=nxt, answers_summary=summary))


def tips(services: Services, f: Followup) -> Out:
    """The general tips for the check-in hour the patient is in (intensity and activity too)."""
    assessment = judge(services, f, Reply(), nominal_hours(f.session, services.now()))
    if assessment.bucket != "normal" or not assessment.tips:
        return Out(f.say("tips_none"))
    return Out(Safe(f.say("tips_header") + "\n\n" + cr.tips_block(assessment.tips, f.lang, cr.COMMAND_TIPS)))


def pause(services: Services, f: Followup) -> Out:
    if f.session["status"] == "completed":
        return Out(f.say("status_none"))
    services.store.pause_session(f.session["id"])
    return Out(f.say("paused"))


def resume(services: Services, f: Followup) -> Out:
    if f.session["status"] == "completed":
        return Out(f.say("status_none"))
    services.store.resume_session(f.session["id"], services.now())
    return Out(f.say("resumed"))


def tell_clinic(services: Services, patient: dict[str, Any], session: dict[str, Any] | None) -> list[Out]:
    """`patient_unreachable` to whoever would get an alert first about this patient."""
    clinic = services.clinic(session["clinic_id"] if session else patient["clinic_id"])
    guidance = services.guidance(clinic.id)
    text = render.message(guidance, "patient_unreachable", clinic.language,
                          first_name=alerts.patient_name(patient))
    practitioner = session["practitioner_id"] if session else None
    return [Out(text, chat_id=chat, kind="staff", patient_id=patient["id"])
            for chat in round_recipients(clinic, practitioner, 0)]


def stop(services: Services, f: Followup) -> list[Out]:
    """Opt out: pending check-ins cancelled, the clinic told. The data stays until /delete."""
    services.store.stop_session(f.session["id"])
    services.store.set_patient_status(f.patient["id"], "opted_out")
    log.info("patient %s stopped session %s", f.patient["id"], f.session["id"])
    return [Out(f.say("stopped")), *tell_clinic(services, f.patient, f.session)]


def unreachable(services: Services, chat_id: int) -> list[Out]:
    """The patient blocked the bot: treat as opted out and tell the clinic (once)."""
    store = services.store
    patient = store.patient_by_telegram(chat_id)
    if patient is None or patient["status"] in ("unreachable", "opted_out"):
        if patient is not None:
            store.set_patient_status(patient["id"], "unreachable")
        return []
    session = store.current_session(patient["id"])
    if session and session["status"] in ("active", "paused"):
        store.stop_session(session["id"])
    store.set_patient_status(patient["id"], "unreachable")
    log.warning("patient %s unreachable; session %s stopped", patient["id"], session["id"] if session else None)
    return tell_clinic(services, patient, session)


def delete_confirm(services: Services, telegram_id: int) -> Out | None:
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None:
        return None
    guidance, _ = default_guidance(services, telegram_id)
    lang = patient["language"] or "en"
    markup = render.keyboard([
        [(render.message(guidance, "delete_confirm_button", lang), Button(cr.DELETE, patient["id"], "y").pack())],
        [(render.message(guidance, "delete_cancel_button", lang), Button(cr.DELETE, patient["id"], "n").pack())],
    ])
    return Out(render.message(guidance, "delete_confirm", lang), markup)


def delete(services: Services, telegram_id: int, button: Button, message_id: int) -> list[Out] | None:
    """Erase the patient (or not), answering in place of the question, and edit the staff's
    copies about them to say so. None: not theirs."""
    patient = services.store.patient_by_telegram(telegram_id)
    if patient is None or patient["id"] != button.row_id or button.value not in ("y", "n"):
        return None
    guidance, clinic = default_guidance(services, telegram_id)
    lang = patient["language"] or "en"
    if button.value == "n":
        return [Out(render.message(guidance, "delete_cancelled", lang), edit=message_id)]
    # The staff's copies say so, in the clinic's language.
    erased = render.message(guidance, "erased_by_patient", clinic.language)
    copies = services.store.delete_patient(patient["id"], services.now(), erased)
    log.info("patient %s erased; %d staff copies to edit", patient["id"], len(copies))
    return [Out(render.message(guidance, "deleted", lang), edit=message_id),
            *(Out("", queued=row) for row in copies)]
