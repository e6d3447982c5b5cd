"""The patient's own words and photos: stored at once, assessed, and the one answer to the
conversation so far (superseding answers still waiting); and words from someone no clinic follows.

Imports the pure packages, the follow-up core (`bot.services.session`), `bot.services.alerts`
(a photo joins an alert already out) and the store's `DueAlert`, the alert as that module takes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.followup.plan import nominal_hours
from bot.followup.status import CheckinStatus, MessageKind
from bot.render import checkin as cr
from bot.render.html import Safe
from bot.services import alerts
from bot.services.session import (
    Assessed,
    Followup,
    checkin_text,
    current,
    default_guidance,
    judge,
    last_checkin,
    next_question,
    open_checkin,
    outcome,
    questions,
    record,
    sent_at,
)
from bot.store.rows import DueAlert
from bot.triage.engine import NO_BUCKET, SEVERITY, Assessment, Context, Reply, triage

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

# Lexicon findings (guidance/lexicon.toml) the answer depends on: thanks or a short "ok" alone get
# an acknowledgement; a bare "no" or "none" answers the warning-signs checklist.
THANKS = "thanks"
ACKNOWLEDGEMENTS = frozenset({THANKS, "short_answer"})
NONE_OF_THESE = "none_of_these"


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
    # taken before: the update was handed over again after a restart (bot/telegram/intake.py)
    replayed: bool = False


def take_words(
    services: Services, telegram_id: int, text: str, message_id: int | None = None, photo: str | None = None
) -> Words | None:
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
    has_words = bool(text.strip())
    answer_id = store.message_taken(sid, message_id, text) if message_id is not None and has_words else None
    replayed = answer_id is not None or (
        photo is not None
        and not has_words
        and any(p["message_id"] == message_id and p["file_id"] == photo for p in store.photos(sid))
    )
    if not replayed:
        with store.transaction():
            if has_words:
                answer_id = store.add_answer(sid, checkin_id, "text", text, now, message_id)
            if photo is not None:
                store.add_photo(sid, checkin_id, message_id, photo, now)
        if photo is not None:
            forward_photos(services, f)
    answering = open_ is not None and open_[0]["status"] == CheckinStatus.SENT
    answers = open_[1] if open_ else {}
    return Words(f, text, now, checkin_id, answers, answering, answer_id, message_id, replayed)


def forward_photos(services: Services, f: Followup) -> int:
    """A photo sent while an alert about this follow-up is open and already out goes to the
    staff told first, at once; otherwise it goes with the follow-up's next alert."""
    told = [
        a
        for a in services.store.open_alerts(f.clinic.id)
        if a["session_id"] == f.session["id"] and a["notify_count"]
    ]
    return alerts.forward_photos(services, DueAlert.from_row(told[-1]), f.session) if told else 0


def assess_words(services: Services, words: Words, edited: bool = False) -> Assessed:
    """Triage stored words (with the check-in's answers so far), record the assessment and any
    alert, and count the words as the check-in's reply. The caller commits these writes together
    (`Store.transaction`), before building the answer (`answer`): a failure there must not take
    back an alert.

    Words that say nothing about the patient (U2, bucket "none") are no assessment: nothing is
    recorded and the check-in stays open. An edit is judged like new words; it is news (answered)
    only when worse than the message was judged before, and a milder edit takes nothing back: it
    is answered with what was noted when the message had been escalated."""
    f, checkin_id = words.followup, words.checkin_id
    hours = nominal_hours(f.session, words.received_at)
    before = (
        services.store.message_buckets(f.session["id"], words.message_id)
        if edited and words.message_id
        else []
    )
    assessment = _judge_words(services, words, hours)
    worst_before = max((SEVERITY[b] for b in before), default=SEVERITY[NO_BUCKET])
    milder = edited and SEVERITY[assessment.bucket] < worst_before >= SEVERITY["contact_practitioner"]
    news = not edited or SEVERITY[assessment.bucket] > worst_before or milder
    if assessment.bucket == NO_BUCKET:
        if words.answer_id is not None:
            services.store.detach_answer(words.answer_id)
        return Assessed(assessment, None, None, news, milder=milder)
    assessed = record(services, f, assessment, hours, checkin_id, message_id=words.message_id)
    edits: tuple[int, ...] = ()
    last = False
    if checkin_id:
        services.store.checkin_answered(checkin_id, words.received_at)
        edits, last = _close_checkin(services, f, checkin_id)
    return Assessed(
        assessment, assessed.assessment_id, assessed.alert_id, news, assessed.alert_edits, edits, last, milder
    )


def _judge_words(services: Services, words: Words, hours: float) -> Assessment:
    """Triage the words with the check-in's answers so far. A bare "no" or "none" (small talk by
    itself) while the warning-signs checklist is the open question is its "none of these":
    recorded as that answer, and judged with it."""
    f, answers = words.followup, words.answers
    open_ = open_checkin(services, f) if words.answering else None
    if open_ is not None:
        alone = judge(services, f, Reply(words.text), hours, words.answering)
        checkin = open_[0]
        question = questions(f, checkin)[next_question(f, checkin, answers)]
        if (
            alone.bucket == NO_BUCKET
            and NONE_OF_THESE in alone.findings
            and question.kind == "checklist"
            and question.none_option is not None
        ):
            value = [question.none_option]
            services.store.add_answer(f.session["id"], checkin["id"], question.id, value, words.received_at)
            answers = {**answers, question.id: value}
    return judge(services, f, Reply(words.text, answers), hours, words.answering)


def _close_checkin(services: Services, f: Followup, checkin_id: int) -> tuple[tuple[int, ...], bool]:
    """Words that closed their check-in (judged normal or an emergency; a sign they found keeps
    the rest open, as a sign tapped does): its message loses its buttons and says it was answered
    in words. Returns the edit queued and whether it was the follow-up's last check-in."""
    if open_checkin(services, f) is not None:
        return (), False
    checkin = services.store.checkin(checkin_id)
    message_id = services.store.checkin_message(checkin_id)
    if checkin is None:
        return (), False
    answers = services.store.checkin_answers(checkin_id)
    shown = checkin_text(f, checkin, sent_at(checkin), answers, None)
    text = Safe(shown + "\n\n" + f.say("checkin_answered_in_words"))
    edits = (
        (services.queue(f.chat_id, MessageKind.EDIT, text, None, edit_message_id=message_id),)
        if message_id is not None
        else ()
    )
    return edits, last_checkin(services, f, checkin)


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
    """The answer to these words alone: the outcome of their assessment (the goodbye too when
    they closed the last check-in); for a milder edit of an escalated message, what was noted;
    for thanks or "ok", a short acknowledgement (after an emergency, the call to make now); for
    other small talk, what I am for with the open check-in's question and buttons again; for a
    photo without words, what it shows. None of these says "expected reaction"."""
    f = words.followup
    if assessed is not None and assessed.milder:
        return _milder_edit(f, assessed)
    if assessed is not None and assessed.assessment.bucket != NO_BUCKET:
        assessment = assessed.assessment
        text = outcome(services, f, assessed)
        if assessed.closed_last and assessment.bucket != "emergency":
            text = Safe(text + "\n\n" + f.say("followup_complete"))
        return Answer(text, None, assessment.bucket, assessed.assessment_id)
    if assessed is None:  # a photo without words
        text = cr.with_emergency_line(f.guidance, f.clinic, f.lang, "photo_without_words")
        return Answer(text, None, NO_BUCKET)
    if assessed.assessment.findings and set(assessed.assessment.findings) <= ACKNOWLEDGEMENTS:
        return Answer(_acknowledgement(services, f, assessed.assessment), None, NO_BUCKET)
    question, markup = _open_question(services, f)
    return Answer(cr.small_talk(f.guidance, f.clinic, f.lang, question), markup, NO_BUCKET)


def _milder_edit(f: Followup, assessed: Assessed) -> Answer:
    """An edit milder than what its message was escalated for: noted, and nothing taken back."""
    soreness = assessed.assessment.soreness
    if soreness is None:
        text = f.say("edit_milder", clinic_name=f.clinic.name)
    else:
        text = f.say("edit_milder_soreness", soreness=soreness, clinic_name=f.clinic.name)
    return Answer(text, None, assessed.assessment.bucket, assessed.assessment_id)


def _acknowledgement(services: Services, f: Followup, assessment: Assessment) -> Safe:
    """Thanks or "ok": after an emergency with nothing assessed since, the emergency stands."""
    assessments = services.store.assessments(f.session["id"])
    if assessments and assessments[-1]["bucket"] == "emergency":
        return f.say("emergency_reminder", emergency_number=f.clinic.emergency_number)
    key = "thanks_reply" if THANKS in assessment.findings else "noted_reply"
    return cr.with_emergency_line(f.guidance, f.clinic, f.lang, key)


def _open_question(services: Services, f: Followup) -> tuple[Safe | None, dict | None]:
    """The open check-in's current question, as its message shows it, and its buttons."""
    open_ = open_checkin(services, f)
    if open_ is None:
        return None, None
    checkin, answers = open_
    index = next_question(f, checkin, answers)
    keyboard = cr.question_keyboard(f.guidance, f.lang, checkin["id"], index, questions(f, checkin)[index])
    return checkin_text(f, checkin, sent_at(checkin), answers, index), keyboard


def _severity(bucket: str | None) -> int:
    return SEVERITY[bucket or NO_BUCKET]


def supersede(services: Services, chat_id: int, new: Answer) -> Answer | None:
    """One answer to the conversation so far. The chat's answers still waiting (non-urgent,
    not yet being sent) are superseded, and the worst of them and the new one is what is sent:
    the most serious bucket, the newest among equals. None: an emergency answer to this chat is
    still going out, and answers everything written since; nothing milder goes after it."""
    if not new.urgent and services.store.urgent_answer_unsent(chat_id):
        services.store.supersede_answers(chat_id)
        return None  # the tips of what is not sent stay recorded: an emergency ends the talk of tips
    waiting = [
        Answer(r["text"], r["markup"], r["bucket"] or NO_BUCKET, r["ref_id"])
        for r in services.store.supersede_answers(chat_id)
    ]
    if waiting:
        log.info("chat answers superseded: %d", len(waiting))
    chosen = max(reversed([*waiting, new]), key=lambda a: _severity(a.bucket))
    # The tips of the answers not sent were never read: a later outcome may list them.
    unsent = [a.assessment_id for a in (*waiting, new) if a is not chosen and a.assessment_id is not None]
    services.store.forget_tips(unsent)
    return chosen


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
