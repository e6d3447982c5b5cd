"""What a loaded guidance folder is: frozen dataclasses shared by every handler (pure).

Ownership of the lexicon's types: `bot.reader` owns the pattern language and the matching
(`Pattern`, `Finding`, `Matcher`, `NumberWords`) and knows no file; `bot.guidance` reads
`lexicon.toml` into them and bundles them here as `Lexicon`; `bot.triage` takes `Guidance` and
calls the reader. So the imports run reader <- guidance <- triage, never back.

Imports only `bot.reader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.reader.matcher import Finding, Matcher
from bot.reader.numbers import NumberWords

BUCKETS = ("normal", "contact_practitioner", "emergency")
# A rule may also decide that a message is no assessment at all (U2: small talk).
RULE_BUCKETS = ("none", *BUCKETS)
CONVERSATIONAL = ("always", "unless_answering")
# What a rule's `reply` or `note` message may say: the outcome's own placeholders.
REPLY_PLACEHOLDERS = frozenset({"clinic_name", "clinic_phone", "emergency_number", "reasons"})
QUESTION_KINDS = ("scale", "choice", "checklist")
TRENDS = ("rising", "not_improving", "improving")
# A contact rule that needs the clinic the same day: whatever the area, or after thoracic-risk needling.
SAME_DAY = ("always", "thoracic")
INTENSITIES = ("light", "moderate", "heavy")
COURSE_LABELS = (
    "title",
    "hours",
    "score",
    "patient",
    "expected",
    "severe",
    "alert_contact",
    "alert_emergency",
)


@dataclass(frozen=True)
class Area:
    id: str
    label: str
    aliases: tuple[str, ...]
    thoracic_risk: bool
    labels: Mapping[str, str] = field(default_factory=dict)  # by language, "en" the label itself

    def label_in(self, language: str) -> str:
        return self.labels.get(language) or self.label


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    findings: tuple[str, ...]
    labels: Mapping[str, str]
    shorts: Mapping[str, str] = field(default_factory=dict)  # a checklist button's label, by language


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: str
    help: str
    asked_at: tuple[int, ...]
    options: tuple[Option, ...]
    role: str | None
    min: int
    max: int
    none_option: str | None
    texts: Mapping[str, str]
    helps: Mapping[str, str]
    after_alert: bool = False  # asked only at the first check-in after an alert to the clinic


@dataclass(frozen=True)
class When:
    findings: frozenset[str]
    findings_any: frozenset[str]
    thoracic: bool | None
    areas: frozenset[str]
    areas_not: frozenset[str]
    hours_min: float | None
    hours_max: float | None
    soreness_min: int | None
    soreness_max: int | None
    soreness_known: bool | None
    trend: str | None
    intensity: frozenset[str]
    unrecognised: bool | None
    flagged: bool | None
    denied_flag: bool | None
    findings_not: frozenset[str] = frozenset()
    answering: bool | None = None
    conversational: bool | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    bucket: str
    source: str
    reason: str
    when: tuple[When, ...]
    reasons: Mapping[str, str]
    reply: str | None = None  # the message key of the outcome when this rule decides it
    note: str | None = None  # a message key added to the outcome whenever this rule fires
    unless: frozenset[str] = frozenset()  # rule ids: this rule holds back when one of them fires
    same_day: str | None = None  # SAME_DAY: the clinic is paged out of hours for this rule's alert


@dataclass(frozen=True)
class Tip:
    id: str
    source: str
    text: str
    texts: Mapping[str, str]
    checkins: tuple[int, ...]
    intensity: tuple[str, ...]
    activity: tuple[str, ...]
    topic: str | None
    # False: it clears the patient for more activity, which waits while the clinic has still to
    # assess them (a contact or emergency outcome in this follow-up).
    after_escalation: bool = True

    @property
    def specificity(self) -> int:
        """How tailored the tip is: one for each of the session's conditions it names (intensity,
        activity). The more tailored tip goes first; the conditions are its priority, so no number
        can contradict them."""
        return bool(self.intensity) + bool(self.activity)


@dataclass(frozen=True)
class Lexicon:
    matcher: Matcher
    findings: tuple[Finding, ...]
    numbers: NumberWords
    fever_c: float
    fever_f: float
    fever_finding: str
    # Words a message of small talk may hold besides its small-talk phrases ("hi there").
    conversation_words: frozenset[str] = frozenset()

    def is_flag(self, finding_id: str) -> bool:
        finding = self.matcher.findings.get(finding_id)
        return bool(finding and finding.flag)


@dataclass(frozen=True)
class Course:
    """The expected course of soreness (course.toml), drawn behind a patient's scores."""

    source: str
    severe: float  # at or above: severe (rule C3)
    band: tuple[tuple[float, float, float], ...]  # (hours, low, high), hours increasing
    labels: Mapping[str, Mapping[str, str]]  # language -> chart texts, each language complete

    def label(self, key: str, language: str = "en") -> str:
        return self.labels.get(language, {}).get(key) or self.labels["en"][key]

    def high_at(self, hours: float) -> float:
        """The top of the expected band at `hours`: straight lines between the band's points,
        level before the first and after the last."""
        band = self.band
        if hours <= band[0][0]:
            return band[0][2]
        for (h0, _, high0), (h1, _, high1) in zip(band, band[1:], strict=False):
            if hours <= h1:
                return high0 + (high1 - high0) * (hours - h0) / (h1 - h0)
        return band[-1][2]


@dataclass(frozen=True)
class Guidance:
    root: Path
    areas: Mapping[str, Area]
    lexicon: Lexicon
    rules: tuple[Rule, ...]
    questions: tuple[Question, ...]
    checkin_hours: tuple[int, ...]
    tips: tuple[Tip, ...]
    messages: Mapping[str, Mapping[str, str]]
    course: Course | None = None
    tips_per_message: int = 4  # tips.toml's per_message: the most a check-in's outcome lists
    alert_outcomes: tuple[str, ...] = ()  # outcomes.toml: how staff may close an alert, in button order

    def __repr__(self) -> str:
        # Thousands of compiled patterns: a repr (inside an asyncio task's, a log line, a
        # debugger) names the folder and its size rather than spelling them all out.
        return (
            f"Guidance({str(self.root)!r}: {len(self.rules)} rules, "
            f"{len(self.questions)} questions, {len(self.tips)} tips)"
        )

    def resolve_area(self, name: str) -> str | None:
        """The area id for an id or alias as a clinician or patient may write it, else None."""
        wanted = " ".join(name.lower().replace("_", " ").replace("-", " ").split())
        for area in self.areas.values():
            if wanted == area.id.replace("_", " ") or wanted in area.aliases:
                return area.id
        return None

    def is_thoracic(self, area_id: str | None) -> bool:
        """Unknown areas count as thoracic-risk (rule A3): a missed pneumothorax costs more."""
        area = self.areas.get(area_id) if area_id is not None else None
        return area is None or area.thoracic_risk

    def checkin_hour(self, hours: float) -> int:
        """The latest check-in hour that has passed; before the first, the first."""
        passed = [h for h in self.checkin_hours if h <= hours]
        return passed[-1] if passed else self.checkin_hours[0]

    def questions_at(self, hour: int, after_alert: bool = False) -> tuple[Question, ...]:
        """The questions of the check-in at `hour`; `after_alert`: with those asked only at the
        first check-in after an alert, first."""
        asked = [q for q in self.questions if hour in q.asked_at and (after_alert or not q.after_alert)]
        return tuple(sorted(asked, key=lambda q: not q.after_alert))

    def message(self, key: str, language: str = "en") -> str:
        return self.messages.get(language, {}).get(key) or self.messages["en"][key]
