"""Check-ins: the due message and its reminder, missed check-ins, and the patient's presses on
a check-in's buttons, up to the assessment after the last answer (or a red flag).

Imports the pure packages, the store's typed rows and the follow-up core (`bot.services.session`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.followup.rounds import round_recipients
from bot.followup.status import OPEN_CHECKINS, MessageKind, PatientStatus, SessionStatus
from bot.guidance.model import Question
from bot.render import checkin as cr
from bot.render import html as render
from bot.render.alerts import patient_name
from bot.render.html import Button, Safe
from bot.render.outgoing import Outgoing
from bot.services.session import (
    Followup,
    checkin_text,
    current,
    elapsed_hours,
    judge,
    next_question,
    of_session,
    open_checkin,
    outcome,
    questions,
    record,
    sent_at,
)
from bot.store.rows import DueCheckin
from bot.triage.engine import SEVERITY, Reply

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)


def render_checkin(services: Services, checkin: DueCheckin) -> Outgoing | None:
    """The check-in message with its first question, or None if the follow-up is not active."""
    f = of_session(services, checkin.session_id)
    if (
        f is None
        or f.session["status"] != SessionStatus.ACTIVE
        or f.patient["status"] != PatientStatus.ACTIVE
    ):
        return None
    row = checkin._asdict()
    markup = cr.question_keyboard(f.guidance, f.lang, checkin.id, 0, questions(f, row)[0])
    return Outgoing(
        checkin_text(f, row, services.now(), {}, 0),
        markup,
        chat_id=f.chat_id,
        kind=MessageKind.CHECKIN,
    )


def render_reminder(services: Services, checkin: DueCheckin) -> Outgoing | None:
    """The one reminder of an unanswered check-in, or None if the patient no longer follows. It
    names the check-in by when it was sent, on the clinic's clock, as its own words said the time
    really passed (not the nominal hour a held-back check-in no longer matches). It carries the
    open question's buttons, the very ones under the check-in: a press on either answers it, and
    the other is then stale like any button of a question already answered."""
    f = of_session(services, checkin.session_id)
    if f is None or f.patient["status"] != PatientStatus.ACTIVE:
        return None
    sent = checkin.sent_at or checkin.due_at
    text = f.say(
        "reminder",
        hours=cr.elapsed_label(elapsed_hours(f, sent)),
        sent_local=cr.local_time(f.guidance, f.lang, sent, f.clinic.timezone, services.now()),
    )
    open_ = open_checkin(services, f)
    markup = None
    if open_ is not None and open_[0]["id"] == checkin.id:
        row, answers = open_
        index = next_question(f, row, answers)
        markup = cr.question_keyboard(f.guidance, f.lang, checkin.id, index, questions(f, row)[index])
    return Outgoing(text, markup, chat_id=f.chat_id, kind=MessageKind.REMINDER)


def missed(services: Services, f: Followup, in_a_row: int) -> list[Outgoing]:
    """At exactly the clinic's threshold of check-ins missed in a row, tell the clinic (who may
    call) and the patient (who may just be busy): once per run of silence, not at every miss."""
    if in_a_row != f.clinic.missed_alert_after or f.patient["status"] != PatientStatus.ACTIVE:
        return []
    log.info("session %s: %d check-ins missed in a row", f.session["id"], in_a_row)
    text = render.message(
        f.guidance,
        "missed_checkins_alert",
        f.clinic.language,
        first_name=patient_name(f.patient),
        count=in_a_row,
    )
    staff = [
        Outgoing(text, chat_id=chat, kind=MessageKind.STAFF, patient_id=f.patient["id"])
        for chat in round_recipients(
            f.clinic, f.session["practitioner_id"], 0, services.store.unreachable_chats()
        )
    ]
    return [
        Outgoing(
            f.say("checkin_missed_notice", emergency_number=f.clinic.emergency_number),
            kind=MessageKind.MISSED,
        ),
        *staff,
    ]


# ---- presses


def _ints(value: str, count: int) -> list[int] | None:
    parts = value.split(".")
    if len(parts) != count or not all(p.isdigit() and len(p) <= 9 for p in parts):
        return None
    return [int(p) for p in parts]


def press(services: Services, telegram_id: int, button: Button, message_id: int) -> list[Outgoing] | None:
    """A check-in button; None when it is stale, foreign or forged (nothing is changed)."""
    f = current(services, telegram_id)
    if f is None:
        return None
    checkin = services.store.checkin(button.row_id)
    if checkin is None or checkin["session_id"] != f.session["id"]:
        return None
    parsed = _ints(button.value, 3 if button.action == cr.TOGGLE else 2)
    if parsed is None:
        return None
    reported = _reported_checklist(services, f, checkin, parsed[0])
    if reported is not None and button.action in (cr.TOGGLE, cr.DONE):
        return _amend(services, f, checkin, reported, button.action, parsed, message_id)
    open_ = open_checkin(services, f)
    if open_ is None or open_[0]["id"] != checkin["id"]:
        return None
    answers = open_[1]
    index = next_question(f, checkin, answers)
    question = questions(f, checkin)[index]
    if parsed[0] != index:
        return None
    if button.action == cr.TOGGLE and question.kind == "checklist" and _fits(question, parsed):
        option, mask = question.options[parsed[1]], parsed[2]
        if not (mask >> parsed[1] & 1 and _flagged(f, option.findings)):
            return [_ticked(f, checkin, answers, index, mask, message_id)]
        return _sign_reported(services, f, checkin, index, mask, message_id)
    value = _pressed_value(button.action, question, parsed)
    if value is None:
        return None
    services.store.add_answer(f.session["id"], checkin["id"], question.id, value, services.now())
    return _after_answer(services, f, checkin, question, value, message_id)


def _fits(question: Question, parsed: list[int]) -> bool:
    """A checklist toggle's option and selection exist in the question."""
    return parsed[1] < len(question.options) and parsed[2] < 1 << len(question.options)


# ---- a checklist with a warning sign reported: it stays open for more until "Done"


def _reported_checklist(services: Services, f: Followup, checkin: dict[str, Any], index: int) -> int | None:
    """`index` when it is a checklist of the latest check-in whose signs are stored already (a
    warning sign was ticked): more ticks and "Done" are taken until the next check-in is sent."""
    asked = questions(f, checkin)
    if index >= len(asked) or asked[index].kind != "checklist":
        return None
    stored = services.store.checkin_answers(checkin["id"]).get(asked[index].id)
    if stored is None or not _answer_flagged(f, asked[index], stored):
        return None
    latest = services.store.latest_sent_checkin(f.session["id"])
    return index if latest is not None and latest["id"] == checkin["id"] else None


def _amend(
    services: Services,
    f: Followup,
    checkin: dict[str, Any],
    index: int,
    action: str,
    parsed: list[int],
    message_id: int,
) -> list[Outgoing] | None:
    """A tick or "Done" on a checklist whose warning signs were reported already."""
    question = questions(f, checkin)[index]
    if action == cr.TOGGLE:
        if not _fits(question, parsed):
            return None
        option, mask = question.options[parsed[1]], parsed[2]
        if mask >> parsed[1] & 1 and _flagged(f, option.findings):
            return _sign_reported(services, f, checkin, index, mask, message_id)
        return [_more(services, f, checkin, index, mask, message_id)]
    if parsed[1] >= 1 << len(question.options):
        return None
    return _checklist_done(services, f, checkin, index, parsed[1], message_id)


def _sign_reported(
    services: Services, f: Followup, checkin: dict[str, Any], index: int, mask: int, message_id: int
) -> list[Outgoing]:
    """A warning sign ticked is stored and triaged at once with every sign ticked so far: a
    graver outcome is told at once (an emergency's instructions first), a sign that changes
    nothing for the patient is added to the clinic's open alert. The checklist keeps its buttons,
    so a second sign is never lost behind the first, until "Done". One new message a tick at
    most: a chat takes about one a second."""
    question = questions(f, checkin)[index]
    store, sid = services.store, f.session["id"]
    store.add_answer(sid, checkin["id"], question.id, cr.chosen(question, mask), services.now())
    told, edits = _triage_ticks(services, f, checkin, store.checkin_answers(checkin["id"]))
    return [*([told] if told else []), _more(services, f, checkin, index, mask, message_id), *edits]


def _triage_ticks(
    services: Services, f: Followup, checkin: dict[str, Any], answers: dict[str, Any]
) -> tuple[Outgoing | None, list[Outgoing]]:
    """The check-in triaged with the signs ticked so far: what the patient is told (None: nothing
    graver than before) and the edits of the staff's alert that grew."""
    earlier = [
        SEVERITY[a["bucket"]]
        for a in services.store.assessments(f.session["id"])
        if a["checkin_id"] == checkin["id"]
    ]
    words = _checkin_text_of(services, checkin["id"], f.session["id"])
    assessment = judge(services, f, Reply(words, answers), checkin["hours"])
    if assessment.bucket == "emergency" or not _unanswered(f, checkin, answers):
        services.store.checkin_answered(checkin["id"], services.now())  # no reminder for it now
    if assessment.bucket == "normal":
        return None, []
    worse = SEVERITY[assessment.bucket] > max(earlier, default=-1)
    assessed = record(services, f, assessment, checkin["hours"], checkin["id"])
    edits = [Outgoing("", queued=row_id) for row_id in assessed.alert_edits]
    return (Outgoing(outcome(services, f, assessed)) if worse else None), edits


def _checklist_done(
    services: Services, f: Followup, checkin: dict[str, Any], index: int, mask: int, message_id: int
) -> list[Outgoing]:
    """ "Done" on a checklist with warning signs reported: the ticks are kept as the patient left
    them (what they reported before stays with the clinic), then the next question, or the end."""
    question = questions(f, checkin)[index]
    store = services.store
    value = cr.chosen(question, mask) or ([question.none_option] if question.none_option else [])
    if store.checkin_answers(checkin["id"]).get(question.id) != value:
        store.add_answer(f.session["id"], checkin["id"], question.id, value, services.now())
    answers = store.checkin_answers(checkin["id"])
    remaining = _unanswered(f, checkin, answers)
    emergency = any(
        a["checkin_id"] == checkin["id"] and a["bucket"] == "emergency"
        for a in store.assessments(f.session["id"])
    )
    if remaining and not emergency:
        return [_asking(f, checkin, answers, remaining[0], edit=message_id)]
    closed = Outgoing(checkin_text(f, checkin, sent_at(checkin), answers, None), None, edit=message_id)
    if emergency:
        return [closed, Outgoing(cr.with_emergency_line(f.guidance, f.clinic, f.lang, "answer_recorded"))]
    text = f.say("answer_recorded")
    if _last(services, f, checkin):
        text = Safe(text + "\n\n" + f.say("followup_complete"))
    return [closed, Outgoing(text)]


def _more(
    services: Services, f: Followup, checkin: dict[str, Any], index: int, mask: int, message_id: int
) -> Outgoing:
    """The check-in message still asking the checklist, its signs reported so far ticked."""
    question = questions(f, checkin)[index]
    keyboard = cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, question, mask)
    answers = services.store.checkin_answers(checkin["id"])
    answers.pop(question.id, None)  # shown by its ticks, under the question asked again
    return Outgoing(checkin_text(f, checkin, sent_at(checkin), answers, index), keyboard, edit=message_id)


def _unanswered(f: Followup, checkin: dict[str, Any], answers: dict[str, Any]) -> list[int]:
    return [i for i, q in enumerate(questions(f, checkin)) if q.id not in answers]


def _pressed_value(action: str, question: Question, parsed: list[int]) -> Any:
    """The answer an answer button or a checklist's "Done" gives; None: no such answer."""
    if action == cr.ANSWER and question.kind == "scale" and question.min <= parsed[1] <= question.max:
        return parsed[1]
    if action == cr.ANSWER and question.kind == "choice" and parsed[1] < len(question.options):
        return question.options[parsed[1]].id
    if action == cr.DONE and question.kind == "checklist" and parsed[1] < 1 << len(question.options):
        return cr.chosen(question, parsed[1]) or ([question.none_option] if question.none_option else [])
    return None


def _ticked(
    f: Followup, checkin: dict[str, Any], answers: dict[str, Any], index: int, mask: int, message_id: int
) -> Outgoing:
    """The check-in message again with the checklist's ticks so far (nothing is stored yet)."""
    question = questions(f, checkin)[index]
    keyboard = cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, question, mask)
    text = checkin_text(f, checkin, sent_at(checkin), answers, index)
    return Outgoing(text, keyboard, edit=message_id)


def _flagged(f: Followup, findings: tuple[str, ...]) -> bool:
    return any(f.guidance.lexicon.is_flag(x) for x in findings)


def _answer_flagged(f: Followup, question: Question, value: Any) -> bool:
    chosen = value if isinstance(value, list) else [value]
    return any(_flagged(f, o.findings) for o in question.options if o.id in chosen)


def _checkin_text_of(services: Services, checkin_id: int, session_id: int) -> str:
    return "\n".join(
        a["value"]
        for a in services.store.session_answers(session_id)
        if a["checkin_id"] == checkin_id and a["question_id"] == "text"
    )


def _asking(
    f: Followup, checkin: dict[str, Any], answers: dict[str, Any], index: int, edit: int | None = None
) -> Outgoing:
    """The check-in message asking question `index`, with its buttons."""
    keyboard = cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, questions(f, checkin)[index])
    return Outgoing(checkin_text(f, checkin, sent_at(checkin), answers, index), keyboard, edit=edit)


def _after_answer(
    services: Services, f: Followup, checkin: dict[str, Any], question: Question, value: Any, message_id: int
) -> list[Outgoing]:
    """Ask the next question, or assess: after the last one, or at once on a red flag.

    A red flag that is not an emergency is told at once, then the remaining questions follow in
    a new message below the outcome: the warning-sign checklist may still find an emergency."""
    store, now = services.store, services.now()
    answers = store.checkin_answers(checkin["id"])
    remaining = [i for i, q in enumerate(questions(f, checkin)) if q.id not in answers]
    if remaining and not _answer_flagged(f, question, value):
        return [_asking(f, checkin, answers, remaining[0], edit=message_id)]
    earlier = [
        SEVERITY[a["bucket"]] for a in store.assessments(f.session["id"]) if a["checkin_id"] == checkin["id"]
    ]
    hours = checkin["hours"]
    words = _checkin_text_of(services, checkin["id"], f.session["id"])
    assessment = judge(services, f, Reply(words, answers), hours)
    final = not remaining or assessment.bucket == "emergency"
    worse = SEVERITY[assessment.bucket] > max(earlier, default=-1)
    if not final and not (worse and assessment.bucket != "normal"):
        return [_asking(f, checkin, answers, remaining[0], edit=message_id)]  # a flag the rules do not act on
    assessed = record(services, f, assessment, hours, checkin["id"], alert=worse)
    answered = checkin_text(f, checkin, sent_at(checkin), answers, None)
    summary = Outgoing(answered, None, edit=message_id)
    edits = [Outgoing("", queued=row_id) for row_id in assessed.alert_edits]  # an open alert grew
    if not final:
        told = Outgoing(outcome(services, f, assessed))
        return [summary, told, _asking(f, checkin, answers, remaining[0]), *edits]
    store.checkin_answered(checkin["id"], now)
    text = outcome(services, f, assessed) if worse else f.say("answer_recorded")
    if assessment.bucket != "emergency" and _last(services, f, checkin):
        text = Safe(text + "\n\n" + f.say("followup_complete"))
    return [summary, Outgoing(text), *edits]


def _last(services: Services, f: Followup, checkin: dict[str, Any]) -> bool:
    return not any(
        c["idx"] > checkin["idx"] and c["status"] in OPEN_CHECKINS
        for c in services.store.checkins(f.session["id"])
    )
