"""Pure rendering of the patient's side: check-in questions and keyboards, outcomes, tips, times.

Everything here is data in, Telegram HTML (`render.Safe`) or keyboard dicts out; nothing reads
the clock or the database. Button data is made with `render.Button`: actions for the patient
start with `p` ("pa" answer, "pt" checklist toggle, "pk" checklist done, "pc"/"pn" consent,
"pd" delete, "pl" language), so they never clash with the staff's `s` actions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.guidance.config import Clinic
from bot.guidance.model import Guidance, Option, Question, Rule, Tip
from bot.render import html as render
from bot.render.html import Button, Safe
from bot.triage.engine import Assessment, Context, Reply, gather

ANSWER, TOGGLE, DONE = "pa", "pt", "pk"
CONSENT_YES, CONSENT_NO, DELETE, LANGUAGE = "pc", "pn", "pd", "pl"
TICK = "✅ "


def language_for(guidance: Guidance, code: str | None, chosen: str | None = None) -> str:
    """The patient's language: the one on file (chosen with /language, or Telegram's at consent)
    if the guidance ships it, else their Telegram language (`code`) if it does, else English."""
    if chosen is not None and chosen in guidance.messages:
        return chosen
    lang = (code or "").split("-")[0].lower()
    return lang if lang in guidance.messages else "en"


def elapsed_label(hours: float) -> str:
    """The hours since the session as the patient is told them: whole hours, rounded half up
    ("about 16 hours" at 15.5 h), never fewer than one."""
    return str(max(1, math.floor(hours + 0.5)))


def question_text(question: Question, lang: str) -> str:
    return question.texts.get(lang) or question.text


def option_label(option: Option, lang: str) -> str:
    return option.labels.get(lang) or option.label


def short_label(option: Option, lang: str) -> str:
    """A checklist sign's button label, the full label where guidance gives no short one."""
    return option.shorts.get(lang) or option.shorts.get("en") or option_label(option, lang)


def _short(question: Question, lang: str) -> str:
    """The question's first sentence ("How sore is the treated area right now?")."""
    text = question_text(question, lang)
    for mark in ("?", "."):
        cut = text.find(mark)
        if cut != -1:
            return text[: cut + 1]
    return text


def answer_label(question: Question, value: Any, lang: str) -> str:
    """An answer as the patient chose it: "3/10", "Small bruise or red dots", "Chest pain, Fever"."""
    if question.kind == "scale":
        return f"{value}/{question.max}"
    chosen = value if isinstance(value, (list, tuple)) else [value]
    labels = [option_label(o, lang) for o in question.options if o.id in chosen]
    return ", ".join(labels) if labels else "-"


def answered_lines(questions: Sequence[Question], answers: Mapping[str, Any], lang: str) -> list[str]:
    return [
        f"✓ {render.escape(_short(q, lang))} <b>{render.escape(answer_label(q, answers[q.id], lang))}</b>"
        for q in questions
        if q.id in answers
    ]


def checkin_text(
    guidance: Guidance,
    lang: str,
    first_name: str,
    elapsed: float,
    questions: Sequence[Question],
    answers: Mapping[str, Any],
    current: int | None,
) -> Safe:
    """The check-in message: intro (saying the `elapsed` hours since the session), what is answered
    so far, and the current question (if any)."""
    parts: list[str] = [
        render.message(guidance, "checkin_intro", lang, hours=elapsed_label(elapsed), first_name=first_name)
    ]
    done = answered_lines(questions, answers, lang)
    if done:
        parts.append("\n".join(done))
    if current is not None:
        question = questions[current]
        block = f"<b>{render.escape(question_text(question, lang))}</b>"
        help_text = question.helps.get(lang) or question.help
        if help_text:
            block += f"\n<i>{render.escape(help_text)}</i>"
        parts.append(block)
    return Safe("\n\n".join(parts))


def question_keyboard(
    guidance: Guidance, lang: str, checkin_id: int, index: int, question: Question, selected: int = 0
) -> dict:
    """Buttons for one question. A checklist carries its selection as a bit mask in each button:
    pressing an option sends the selection that pressing it makes, so no draft is stored."""

    def data(action: str, value: str) -> str:
        return Button(action, checkin_id, value).pack()

    if question.kind == "scale":
        values = list(range(question.min, question.max + 1))
        half = (len(values) + 1) // 2
        lines = [values[:half], values[half:]] if len(values) > 6 else [values]
        return render.keyboard(
            [[(str(v), data(ANSWER, f"{index}.{v}")) for v in line] for line in lines if line]
        )
    if question.kind == "choice":
        return render.keyboard(
            [[(option_label(o, lang), data(ANSWER, f"{index}.{i}"))] for i, o in enumerate(question.options)]
        )
    return render.keyboard(_checklist_rows(guidance, lang, index, question, selected, data))


def _checklist_rows(
    guidance: Guidance,
    lang: str,
    index: int,
    question: Question,
    selected: int,
    data: Callable[[str, str], str],
) -> list[list[tuple[str, str]]]:
    """The signs two to a row under their short labels, then one wide button: while no sign is
    ticked, "No, none of these" answers the checklist in one tap (as "Done" with nothing ticked
    always has); once one is, "Done"."""
    signs = [(i, o) for i, o in enumerate(question.options) if o.id != question.none_option]
    buttons = [
        (
            (TICK if selected >> i & 1 else "") + short_label(option, lang),
            data(TOGGLE, f"{index}.{i}.{toggle(question, selected, i)}"),
        )
        for i, option in signs
    ]
    rows = [buttons[n : n + 2] for n in range(0, len(buttons), 2)]
    if question.none_option is None or any(selected >> i & 1 for i, _ in signs):
        done = (render.message(guidance, "checklist_done_button", lang), data(DONE, f"{index}.{selected}"))
    else:
        done = (render.message(guidance, "checklist_none_button", lang), data(DONE, f"{index}.0"))
    return [*rows, [done]]


def toggle(question: Question, selected: int, i: int) -> int:
    """The selection after pressing option `i`: the "none" option clears the others and is
    cleared by any of them."""
    mask = selected ^ (1 << i)
    none = next((n for n, o in enumerate(question.options) if o.id == question.none_option), None)
    if none is not None and mask >> i & 1:
        mask = (1 << none) if i == none else mask & ~(1 << none)
    return mask


def chosen(question: Question, mask: int) -> list[str]:
    return [o.id for i, o in enumerate(question.options) if mask >> i & 1]


# ---- outcomes


def _generic(rule: Rule) -> bool:
    """A rule that only says "some warning sign" (C15) or "unclear" (U1), naming no finding."""
    return all(not w.findings and not w.findings_any for w in rule.when)


def reasons(guidance: Guidance, assessment: Assessment, lang: str = "en") -> list[str]:
    """The reasons of the deciding bucket, a generic one dropped when a specific one exists,
    in the patient's language when the rule has one (`reason_es`), else in English."""
    rules = {r.id: r for r in guidance.rules}
    deciding = [r for r in assessment.fired if r.bucket == assessment.bucket]
    specific = [r for r in deciding if r.id in rules and not _generic(rules[r.id])]
    seen: list[str] = []
    for rule in specific or deciding:
        text = rules[rule.id].reasons.get(lang, rule.reason) if rule.id in rules else rule.reason
        if text not in seen:
            seen.append(text)
    return seen


QUOTE_CHARS = 100  # the patient's words told back: enough to recognise them, short on a phone
# A sentence ends at its mark and a space, or a line break: "38.5" stays whole.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")


def quoted(text: str) -> str:
    """The patient's words on one line, trimmed and neutralised, in quotation marks."""
    return f"“{render.one_line(text, QUOTE_CHARS)}”"


def _named(rule: Rule) -> frozenset[str]:
    return frozenset().union(*(w.findings | w.findings_any for w in rule.when))


def _scored(rule: Rule) -> bool:
    return any(w.soreness_min is not None or w.soreness_max is not None or w.trend for w in rule.when)


def _telling_words(guidance: Guidance, assessment: Assessment, named: frozenset[str]) -> str:
    """The patient's words, quoted: of a longer message, the sentences that name a sign the
    deciding rules name (all of it when none does, as when a score decided)."""
    sentences = [s for s in _SENTENCE_END.split(assessment.text.strip()) if s]
    if len(sentences) > 1 and named:
        context = Context(hours=assessment.checkin_hour)
        telling = [s for s in sentences if named & gather(Reply(s), context, guidance).findings]
        sentences = telling or sentences
    return quoted(" … ".join(sentences))


def _soreness_told(guidance: Guidance, assessment: Assessment, lang: str) -> str | None:
    """The soreness the patient tapped ("Soreness 8/10, up from 5/10"), if they tapped one."""
    scale = next((q for q in guidance.questions if q.role == "soreness"), None)
    if scale is None or assessment.soreness is None:
        return None
    score = answer_label(scale, assessment.soreness, lang)
    if assessment.trend == "rising" and assessment.previous_soreness is not None:
        previous = answer_label(scale, assessment.previous_soreness, lang)
        return render.message(guidance, "told_soreness_rising", lang, score=score, previous=previous)
    return render.message(guidance, "told_soreness", lang, score=score)


def reported(guidance: Guidance, assessment: Assessment, lang: str) -> list[str]:
    """What the patient reported that decided the bucket, in their terms: the labels of the
    options they ticked, their words quoted (words say their sign, score or trend themselves),
    the soreness they tapped. A rule's reason only when none of these explains the rule: it
    lists every sign the rule covers, not the one the patient reported (`reasons`, for staff)."""
    rules = {r.id: r for r in guidance.rules}
    deciding = [rules[r.id] for r in assessment.deciding if r.id in rules]
    specific = [r for r in deciding if not _generic(r) or _scored(r)] or deciding
    ticked = [o for q in guidance.questions for o in q.options if (q.id, o.id) in assessment.ticked]
    # A generic rule (C15) names no finding: the warning signs reported are what it fired on.
    flags = frozenset(f for f in assessment.findings if guidance.lexicon.is_flag(f))
    named = frozenset().union(*(_named(r) or flags for r in specific))
    words = _telling_words(guidance, assessment, named) if assessment.text.strip() else None
    items: list[str] = []
    for rule in specific:
        hits = [option_label(o, lang) for o in ticked if (_named(rule) or flags).intersection(o.findings)]
        if hits:
            items += hits
        elif words:
            items.append(words)
        else:
            told = _soreness_told(guidance, assessment, lang) if _scored(rule) else None
            items.append(told or rule.reasons.get(lang, rule.reason))
    return list(dict.fromkeys(items)) or reasons(guidance, assessment, lang)


def _reasons_block(items: list[str]) -> Safe:
    if len(items) == 1:
        return Safe(render.escape(items[0]))
    return Safe("\n" + render.bullets(items))


# Tip texts are guidance, loaded once, and every normal outcome renders some of them.
_tip_html = lru_cache(maxsize=1024)(render.markdown)


def tip_text(tip: Tip, lang: str) -> Safe:
    return _tip_html(tip.texts.get(lang) or tip.text)


def tips_block(tips: Iterable[Tip], lang: str, limit: int | None = None) -> Safe:
    return render.bullets([tip_text(t, lang) for t in list(tips)[:limit]])


DEFAULT_OUTCOME = {
    "emergency": "outcome_emergency",
    "contact_practitioner": "outcome_contact",
    "normal": "outcome_normal",
}


def outcome(
    guidance: Guidance,
    clinic: Clinic,
    lang: str,
    assessment: Assessment,
    opens_local: str | None = None,
) -> Safe:
    """What the patient is told after an assessment; emergency puts the number first.

    The rules decide the words: a rule's `reply` replaces the bucket's outcome when every rule
    deciding the bucket names it (a named sign keeps the outcome that lists what was found), and
    each fired rule's `note` is added below, except under an emergency, which already says to
    call now. `opens_local` ("tomorrow at 08:00"): the clinic is closed until then, so a contact
    outcome says when it opens and gives the out-of-hours number instead of "today"."""
    deciding = [r for r in assessment.fired if r.bucket == assessment.bucket]
    replies = {r.reply for r in deciding}
    only = next(iter(replies)) if len(replies) == 1 else None
    key = only if only is not None else DEFAULT_OUTCOME[assessment.bucket]
    closed = opens_local is not None and assessment.bucket == "contact_practitioner"
    values = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "emergency_number": clinic.emergency_number,
        "reasons": _reasons_block(reported(guidance, assessment, lang)),
        "tips": tips_block(assessment.tips, lang, guidance.tips_per_message),
        "opens_local": opens_local,
        "phone": clinic.out_of_hours_phone or clinic.phone,
    }
    if closed and key == DEFAULT_OUTCOME["contact_practitioner"]:
        key = "outcome_contact_closed"
    # With every fitting tip sent already, the tips' paragraph is empty: its blank lines go too.
    parts = [Safe(re.sub(r"\n{3,}", "\n\n", render.message(guidance, key, lang, **values)))]
    if closed and key != "outcome_contact_closed":
        parts.append(render.message(guidance, "note_clinic_closed", lang, **values))
    if assessment.bucket != "emergency":
        notes = dict.fromkeys(r.note for r in assessment.fired if r.note)
        parts += [render.message(guidance, note, lang, **values) for note in notes]
    return Safe("\n\n".join(parts))


def emergency_unfollowed(guidance: Guidance, clinic: Clinic, lang: str) -> Safe:
    """The emergency text for someone no clinic follows any more: nothing of their words, no alert."""
    return render.message(
        guidance, "outcome_emergency_unfollowed", lang, emergency_number=clinic.emergency_number
    )


def small_talk(guidance: Guidance, clinic: Clinic, lang: str, question: Safe | None) -> Safe:
    """The answer to words that say nothing about the patient: what I am for, the open
    check-in's question again (its buttons go with this message), and the emergency number."""
    parts = [render.message(guidance, "small_talk", lang, clinic_name=clinic.name)]
    if question is not None:
        parts.append(question)
    parts.append(emergency_line(guidance, clinic, lang))
    return Safe("\n\n".join(parts))


def with_emergency_line(guidance: Guidance, clinic: Clinic, lang: str, key: str) -> Safe:
    return Safe(render.message(guidance, key, lang) + "\n\n" + emergency_line(guidance, clinic, lang))


def emergency_line(guidance: Guidance, clinic: Clinic, lang: str) -> Safe:
    return render.message(guidance, "emergency_line", lang, emergency_number=clinic.emergency_number)


# ---- times and status


def local_time(guidance: Guidance, lang: str, at: float, tz: ZoneInfo, now: float) -> str:
    """ "today at 16:30", "tomorrow at 08:00" or "on 25/11 at 08:00", in the clinic's zone."""
    when, today = datetime.fromtimestamp(at, tz), datetime.fromtimestamp(now, tz).date()
    clock = when.strftime("%H:%M")
    days = (when.date() - today).days
    if days == 0:
        return render.message(guidance, "time_today", lang, time=clock)
    if days == 1:
        return render.message(guidance, "time_tomorrow", lang, time=clock)
    return render.message(guidance, "time_on_date", lang, time=clock, date=when.strftime("%d/%m"))
