"""Sort one reply into normal, contact_practitioner or emergency, or none: a message that
says nothing about how the patient is (rule U2). Pure: no I/O, no clock.

The reply's free text is read into findings by the lexicon, the structured answers add theirs,
and every rule of `guidance/rules.toml` is tested against them. The most serious bucket among
the rules that fire decides. Text that says nothing readable is U1 (contact), not normal; a rule
with `unless` is tested after the others and holds back when one of those fired.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.guidance.model import Guidance, Rule, Tip, When
from bot.reader.matcher import Matches, denied, present
from bot.reader.numbers import has_fever, read_scores

BUCKETS = ("normal", "contact_practitioner", "emergency")
NO_BUCKET = "none"  # small talk (U2): no assessment, answered conversationally, never stored
SEVERITY = {NO_BUCKET: -1} | {bucket: rank for rank, bucket in enumerate(BUCKETS)}


@dataclass(frozen=True)
class PriorCheckin:
    hours: float
    soreness: int | None


@dataclass(frozen=True)
class Context:
    hours: float
    areas: tuple[str, ...] = ()
    intensity: str | None = None
    activities: tuple[str, ...] = ()
    history: tuple[PriorCheckin, ...] = ()
    # The text answers an open check-in: a bare "fine" or "👍" then says how the patient is (N8);
    # unprompted ("ok thanks" after a message from staff) it is small talk (U2).
    answering: bool = True


@dataclass(frozen=True)
class Reply:
    text: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FiredRule:
    id: str
    bucket: str
    reason: str
    source: str
    reply: str | None = None  # message key of the outcome when this rule decides the bucket
    note: str | None = None  # message key of a line the outcome adds because this rule fired


@dataclass(frozen=True)
class Assessment:
    bucket: str
    fired: tuple[FiredRule, ...]
    findings: tuple[str, ...]
    soreness: int | None
    previous_soreness: int | None
    trend: str | None
    checkin_hour: int
    tips: tuple[Tip, ...]
    # What the patient reported, for telling them back in their terms: the words they wrote
    # and the options they ticked, as (question id, option id).
    text: str = ""
    ticked: tuple[tuple[str, str], ...] = ()

    @property
    def deciding(self) -> tuple[FiredRule, ...]:
        """The rules of the bucket that decided: a normal rule (N12) never shows beside an
        emergency one."""
        return tuple(r for r in self.fired if r.bucket == self.bucket)

    @property
    def rules(self) -> list[str]:
        return [r.id for r in self.deciding]

    @property
    def reasons(self) -> list[str]:
        """The reasons of the rules that decided the bucket, worst first."""
        return [r.reason for r in self.deciding]

    @property
    def reply(self) -> str | None:
        """The message key of the outcome when every deciding rule names the same one (U3's kind
        reply; U1's "could not read"), else None: the bucket's usual outcome."""
        replies = {r.reply for r in self.deciding}
        return replies.pop() if len(replies) == 1 else None

    @property
    def notes(self) -> tuple[str, ...]:
        """Message keys of the lines to add to the outcome, one per fired rule's `note`."""
        return tuple(dict.fromkeys(r.note for r in self.fired if r.note))

    def as_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "rules": self.rules, "reasons": self.reasons}


@dataclass(frozen=True)
class Facts:
    """Everything the rules may test, gathered once per reply."""

    findings: frozenset[str]
    flagged: bool
    denied_flag: bool
    thoracic: bool
    areas: frozenset[str]
    hours: int
    soreness: int | None
    previous_soreness: int | None
    trend: str | None
    intensity: str | None
    unrecognised: bool
    answering: bool
    conversational: bool


TREND_RANK = {"improving": 0, "steady": 1, "rising": 2}
TREND_FINDINGS = {"trend_worse": "rising", "trend_same": "steady", "trend_better": "improving"}


def _trend(current: int | None, previous: int | None, findings: frozenset[str]) -> str | None:
    """The most worrying of the trend the scores show and the trend the words state."""
    candidates = [trend for finding, trend in TREND_FINDINGS.items() if finding in findings]
    if current is not None and previous is not None:
        candidates.append(
            "rising" if current > previous else "steady" if current == previous else "improving"
        )
    return max(candidates, key=TREND_RANK.__getitem__, default=None)


def _trend_matches(wanted: str, actual: str | None) -> bool:
    if wanted == "not_improving":
        return actual in ("rising", "steady")
    return actual == wanted


def _holds(when: When, facts: Facts) -> bool:
    # Short-circuit: most conditions fail on their findings, and every rule is tested per reply.
    return (
        when.findings <= facts.findings
        and (not when.findings_any or bool(when.findings_any & facts.findings))
        and not (when.findings_not & facts.findings)
        and (when.thoracic is None or when.thoracic == facts.thoracic)
        and (not when.areas or bool(when.areas & facts.areas))
        and (not when.areas_not or not (when.areas_not & facts.areas))
        and (when.hours_min is None or facts.hours >= when.hours_min)
        and (when.hours_max is None or facts.hours <= when.hours_max)
        and (
            when.soreness_min is None or (facts.soreness is not None and facts.soreness >= when.soreness_min)
        )
        and (
            when.soreness_max is None or (facts.soreness is not None and facts.soreness <= when.soreness_max)
        )
        and (when.soreness_known is None or when.soreness_known == (facts.soreness is not None))
        and (when.trend is None or _trend_matches(when.trend, facts.trend))
        and (not when.intensity or facts.intensity in when.intensity)
        and (when.unrecognised is None or when.unrecognised == facts.unrecognised)
        and (when.flagged is None or when.flagged == facts.flagged)
        and (when.denied_flag is None or when.denied_flag == facts.denied_flag)
        and (when.answering is None or when.answering == facts.answering)
        and (when.conversational is None or when.conversational == facts.conversational)
    )


def _answer_findings(answers: Mapping[str, Any], guidance: Guidance) -> tuple[set[str], int | None]:
    findings: set[str] = set()
    soreness = None
    for question in guidance.questions:
        if question.id not in answers:
            continue
        answer = answers[question.id]
        if question.kind == "scale":
            if question.role == "soreness":
                soreness = int(answer)
            continue
        chosen = answer if isinstance(answer, (list, tuple, set, frozenset)) else [answer]
        for option in question.options:
            if option.id in chosen:
                findings.update(option.findings)
    return findings, soreness


def _said(matches: Matches, ids: set[str], lexicon: Any) -> frozenset[int]:
    """The token positions of the present spans of these findings."""
    spans = [s for f in lexicon.findings if f.id in ids for s in present(matches, f)]
    return frozenset(i for s in spans for i in range(s.start, s.end))


def _states_something(
    matches: Matches, findings: set[str], conversational: set[str], said: frozenset[int], aside: set[str]
) -> bool:
    """Words that say something about the patient, present or denied ("no fever" is a statement);
    small talk and area names (`aside`) say nothing by themselves."""
    return any(
        owner not in aside
        and (
            owner in findings
            if owner in conversational
            else not all(said.issuperset(range(s.start, s.end)) for s in spans)
        )
        for (owner, _), spans in matches.spans.items()
    )


def _earlier_soreness(context: Context) -> int | None:
    """The latest soreness the patient gave at an earlier check-in, if any."""
    earlier = [c.soreness for c in context.history if c.soreness is not None and c.hours < context.hours]
    return earlier[-1] if earlier else None


def gather(reply: Reply, context: Context, guidance: Guidance) -> Facts:
    lexicon = guidance.lexicon
    tokens = lexicon.matcher.tokens(reply.text) if reply.text else []
    matches = lexicon.matcher.scan(tokens)
    matched = {owner for owner, _ in matches.spans}  # a finding without a span cannot be present
    # Small talk and short answers claim their words: "good" in "good morning" is no N8.
    conversational = {f.id for f in lexicon.findings if f.conversational and f.id in matched}
    said = _said(matches, conversational, lexicon)
    findings = {
        f.id
        for f in lexicon.findings
        if f.id in matched and present(matches, f, frozenset() if f.conversational or f.flag else said)
    }
    talk = {
        f
        for f in findings
        if f in conversational
        and (lexicon.matcher.findings[f].conversational == "always" or not context.answering)
    }
    talked = _said(matches, talk, lexicon)
    areas = {f"area_{a}" for a in guidance.areas}
    statement = _states_something(matches, findings, conversational, said, talk | areas)
    scores = read_scores(tokens, lexicon.numbers, lexicon.fever_c, lexicon.fever_f)
    if has_fever(scores.temperatures, lexicon.fever_c, lexicon.fever_f):
        findings.add(lexicon.fever_finding)
    answered, answered_soreness = _answer_findings(reply.answers, guidance)
    findings |= answered
    soreness = answered_soreness if answered_soreness is not None else scores.current
    previous = scores.previous if scores.previous is not None else _earlier_soreness(context)
    treated = {guidance.resolve_area(a) for a in context.areas} or {None}
    mentioned = {a.id for a in guidance.areas.values() if f"area_{a.id}" in findings}
    thoracic = any(guidance.is_thoracic(a) for a in treated | mentioned)
    recognised = statement or bool(findings - talk - areas) or soreness is not None or bool(reply.answers)
    # Only small talk: every word is in a small-talk phrase or one of the words it may hold; or
    # only question marks, a question with no symptom in it.
    chat = (bool(tokens) and all(t.text == "?" for t in tokens)) or (
        bool(talk)
        and not recognised
        and all(
            i in talked or not t.is_word or t.text in lexicon.conversation_words for i, t in enumerate(tokens)
        )
    )
    return Facts(
        findings=frozenset(findings),
        flagged=any(lexicon.is_flag(f) for f in findings),
        denied_flag=any(
            f not in findings and lexicon.is_flag(f) and denied(matches, lexicon.matcher.findings[f])
            for f in matched
        ),
        thoracic=thoracic,
        areas=frozenset(a for a in treated if a),
        hours=guidance.checkin_hour(context.hours),
        soreness=soreness,
        previous_soreness=previous,
        trend=_trend(soreness, previous, frozenset(findings)),
        intensity=context.intensity,
        unrecognised=bool(reply.text.strip()) and not recognised and not chat,
        answering=context.answering,
        conversational=chat,
    )


def _ticked(answers: Mapping[str, Any], guidance: Guidance) -> tuple[tuple[str, str], ...]:
    """The options the patient chose, as (question id, option id), in the guidance's order."""
    ticked = []
    for question in guidance.questions:
        answer = answers.get(question.id)
        if answer is None or question.kind == "scale":
            continue
        chosen = answer if isinstance(answer, (list, tuple, set, frozenset)) else [answer]
        ticked += [(question.id, o.id) for o in question.options if o.id in chosen]
    return tuple(ticked)


def relevant_tips(
    guidance: Guidance,
    hour: int,
    intensity: str | None,
    activities: tuple[str, ...],
    findings: Collection[str],
) -> tuple[Tip, ...]:
    """Every tip that fits the check-in hour, the session's intensity and the patient's activities:
    the topics the reply asks about first, then the general tips, the most tailored first
    (`Tip.specificity`), in the guidance's order among equals."""

    def fits(tip: Tip) -> bool:
        return (
            (not tip.checkins or hour in tip.checkins)
            and (not tip.intensity or intensity in tip.intensity)
            and (not tip.activity or bool(set(tip.activity) & set(activities)))
        )

    asked = [t for t in guidance.tips if t.topic and f"topic_{t.topic}" in findings and fits(t)]
    general = [t for t in guidance.tips if t.topic is None and fits(t)]
    return tuple(asked + sorted(general, key=lambda t: -t.specificity))


def triage(reply: Reply, context: Context, guidance: Guidance) -> Assessment:
    facts = gather(reply, context, guidance)

    def holds(rule: Rule) -> bool:
        return any(_holds(when, facts) for when in rule.when)

    plain = {rule.id for rule in guidance.rules if not rule.unless and holds(rule)}
    fired = [
        FiredRule(rule.id, rule.bucket, rule.reason, rule.source, rule.reply, rule.note)
        for rule in guidance.rules
        if rule.id in plain or (rule.unless and not rule.unless & plain and holds(rule))
    ]
    fired.sort(key=lambda r: -SEVERITY[r.bucket])
    bucket = fired[0].bucket if fired else "normal"
    return Assessment(
        bucket=bucket,
        fired=tuple(fired),
        findings=tuple(sorted(facts.findings)),
        soreness=facts.soreness,
        previous_soreness=facts.previous_soreness,
        trend=facts.trend,
        checkin_hour=facts.hours,
        tips=(
            relevant_tips(guidance, facts.hours, context.intensity, context.activities, facts.findings)
            if bucket == "normal"
            else ()
        ),
        text=reply.text,
        ticked=_ticked(reply.answers, guidance),
    )
