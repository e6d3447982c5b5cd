"""Load and validate a guidance folder: areas, lexicon, rules, questions, tips, messages.

Everything is checked at start, so a clinic's edit fails loudly and precisely
(`rules.toml: rules[3].when[0].findings: unknown finding 'chestpain'`) instead of misbehaving
with a patient. The loaded `Guidance` is immutable and shared by every handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from bot.reader.patterns import Finding, Matcher, Pattern, compile_pattern
from bot.reader.tokens import normalise
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.reader.numbers import NumberWords
from bot.guidance.toml_doc import GuidanceError, Doc

BUCKETS = ("normal", "contact_practitioner", "emergency")
# A rule may also decide that a message is no assessment at all (U2: small talk).
RULE_BUCKETS = ("none", *BUCKETS)
CONVERSATIONAL = ("always", "unless_answering")
# What a rule's `reply` or `note` message may say: the outcome's own placeholders.
REPLY_PLACEHOLDERS = frozenset({"clinic_name", "clinic_phone", "emergency_number", "reasons"})
QUESTION_KINDS = ("scale", "choice", "checklist")
TRENDS = ("rising", "not_improving", "improving")
INTENSITIES = ("light", "moderate", "heavy")
ALLOWED_TAGS = ("b", "i", "u", "s", "code")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_TAG = re.compile(r"</?([a-zA-Z0-9-]+)[^>]*>")
LOCALISED = re.compile(r"^(text|label|help|reason)_([a-z]{2})$")


@dataclass(frozen=True)
class Area:
    id: str
    label: str
    aliases: tuple[str, ...]
    thoracic_risk: bool


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    findings: tuple[str, ...]
    labels: Mapping[str, str]


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
    labels: Mapping[str, Mapping[str, str]]  # language -> chart texts; "en" is complete

    def label(self, key: str, language: str = "en") -> str:
        return self.labels.get(language, {}).get(key) or self.labels["en"][key]


COURSE_LABELS = ("title", "hours", "score", "patient", "expected", "severe")


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

    def resolve_area(self, name: str) -> str | None:
        """The area id for an id or alias as a clinician or patient may write it, else None."""
        wanted = " ".join(name.lower().replace("_", " ").replace("-", " ").split())
        for area in self.areas.values():
            if wanted == area.id.replace("_", " ") or wanted in area.aliases:
                return area.id
        return None

    def is_thoracic(self, area_id: str | None) -> bool:
        """Unknown areas count as thoracic-risk (rule A3): a missed pneumothorax costs more."""
        return area_id is None or self.areas[area_id].thoracic_risk

    def checkin_hour(self, hours: float) -> int:
        """The latest check-in hour that has passed; before the first, the first."""
        passed = [h for h in self.checkin_hours if h <= hours]
        return passed[-1] if passed else self.checkin_hours[0]

    def questions_at(self, hour: int) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if hour in q.asked_at)

    def message(self, key: str, language: str = "en") -> str:
        return self.messages.get(language, {}).get(key) or self.messages["en"][key]


def _load_areas(doc: Doc) -> dict[str, Area]:
    areas = {}
    for key, table in doc.table("areas").items():
        entry = doc.sub(f"areas.{key}", table, required={"label": str, "thoracic_risk": bool}, optional={"aliases": list})
        aliases = tuple(" ".join(a.lower().split()) for a in entry.strings("aliases"))
        areas[key] = Area(key, entry["label"], aliases, entry["thoracic_risk"])
    if not areas:
        doc.fail("areas", "no areas defined")
    return areas


def _filler(doc: Doc, index: int, text: str) -> Pattern:
    pattern = doc.pattern(f"fillers[{index}]", text, {})
    if pattern.anchored or any(e.kind != "word" for e in pattern.elements):
        doc.fail(f"fillers[{index}]", f"'{text}': a filler is plain words only")
    return pattern


def _load_lexicon(doc: Doc, areas: Mapping[str, Area]) -> Lexicon:
    top = doc.sub("", doc.data,
                  required={"terms": dict, "findings": dict, "negation": dict, "numbers": dict,
                            "fever": dict},
                  optional={"emoji": dict, "spelling": dict, "keep": list, "fillers": list,
                            "conversation": dict})
    groups: dict[str, list[Pattern]] = {}
    for name, words in doc.table("terms").items():
        groups[name] = [doc.pattern(f"terms.{name}[{i}]", w, groups) for i, w in enumerate(doc.string_list(f"terms.{name}", words))]
    findings = []
    for fid, table in doc.table("findings").items():
        key = f"findings.{fid}"
        entry = doc.sub(key, table, required={"label": str}, optional={
            "flag": bool, "resolvable": bool, "negatable": bool, "inverted_by": list, "patterns": list,
            "all": list, "exclude": list, "conversational": str})
        if "conversational" in entry:
            doc.choice(f"{key}.conversational", entry["conversational"], CONVERSATIONAL)
            if entry.get("flag"):
                doc.fail(f"{key}.conversational", "a warning sign is never small talk")
        patterns = tuple(doc.pattern(f"{key}.patterns[{i}]", p, groups) for i, p in enumerate(entry.strings("patterns")))
        components = []
        for c, component in enumerate(entry.get("all", [])):
            words = doc.string_list(f"{key}.all[{c}]", component)
            components.append(tuple(doc.pattern(f"{key}.all[{c}][{i}]", w, groups) for i, w in enumerate(words)))
        if not patterns and not components:
            doc.fail(key, "a finding needs `patterns` or `all`")
        excludes = tuple(doc.pattern(f"{key}.exclude[{i}]", p, groups) for i, p in enumerate(entry.strings("exclude")))
        findings.append(Finding(fid, entry["label"], entry.get("flag", False), entry.get("resolvable", True),
                                entry.get("negatable", True), frozenset(entry.strings("inverted_by")),
                                patterns, tuple(components), excludes, entry.get("conversational")))
    for area in areas.values():
        sources = [area.id.replace("_", " "), *area.aliases]
        patterns = tuple(compile_pattern(s, groups) for s in sources)
        findings.append(Finding(f"area_{area.id}", area.label, False, True, False, frozenset(), patterns, (), ()))
    negation = doc.sub("negation", doc.data["negation"], required={"words": list, "window": int},
                       optional={"pseudo": list, "after": list, "after_label": list, "resolved": list,
                                 "elsewhere": list, "reported": list, "own": list})
    conversation = doc.sub("conversation", top.get("conversation", {}), optional={"words": list})
    pseudo = [doc.pattern(f"negation.pseudo[{i}]", p, groups) for i, p in enumerate(negation.strings("pseudo"))]
    numbers = doc.sub("numbers", doc.data["numbers"],
                      required={"words": dict, "units": list, "cues": list, "past": list, "past_before": list,
                                "current": list, "current_before": list},
                      optional={"labels": list, "compare": list})
    fever = doc.sub("fever", doc.data["fever"], required={"celsius_min": (int, float), "fahrenheit_min": (int, float), "finding": str})
    ids = {f.id for f in findings}
    if fever["finding"] not in ids:
        doc.fail("fever.finding", f"unknown finding '{fever['finding']}'")
    for word, value in numbers["words"].items():
        if not isinstance(value, int) or isinstance(value, bool):
            doc.fail(f"numbers.words.{word}", "must be a whole number")
    matcher = Matcher(
        findings,
        negators=negation.strings("words"),
        pseudo_negations=pseudo,
        denials_after=[doc.pattern(f"negation.after[{i}]", p, groups) for i, p in enumerate(negation.strings("after"))],
        denials_after_label=[doc.pattern(f"negation.after_label[{i}]", p, groups)
                             for i, p in enumerate(negation.strings("after_label"))],
        resolutions=[doc.pattern(f"negation.resolved[{i}]", p, groups) for i, p in enumerate(negation.strings("resolved"))],
        elsewhere=[doc.pattern(f"negation.elsewhere[{i}]", p, groups) for i, p in enumerate(negation.strings("elsewhere"))],
        emoji={k: doc.string(f"emoji.{k}", v) for k, v in top.get("emoji", {}).items()},
        spelling={k: doc.string(f"spelling.{k}", v) for k, v in top.get("spelling", {}).items()},
        keep=top.strings("keep"),
        negation_window=negation["window"],
        fillers=[_filler(doc, i, p)
                 for i, p in enumerate(doc.string_list("fillers", top.get("fillers", [])))],
        reported=[doc.pattern(f"negation.reported[{i}]", p, groups)
                  for i, p in enumerate(negation.strings("reported"))],
        own=[normalise(w, {}, {}) for w in doc.string_list("negation.own", negation.get("own", []))],
    )
    number_words = NumberWords(
        values=dict(numbers["words"]),
        units=frozenset(numbers.strings("units")),
        cues=frozenset(numbers.strings("cues")),
        past=frozenset(numbers.strings("past")),
        past_before=frozenset(numbers.strings("past_before")),
        current=frozenset(numbers.strings("current")),
        current_before=frozenset(numbers.strings("current_before")),
        labels=frozenset(numbers.strings("labels")),
        compare=frozenset(numbers.strings("compare")),
    )
    words = doc.string_list("conversation.words", conversation.get("words", []))
    return Lexicon(matcher, tuple(findings), number_words, float(fever["celsius_min"]),
                   float(fever["fahrenheit_min"]), fever["finding"],
                   frozenset(normalise(w, {}, {}) for w in words))


def _message_key(doc: Doc, key: str, name: str, messages: Mapping[str, Mapping[str, str]]) -> str:
    """A rule's `reply` or `note`: a message in every language, using only outcome placeholders."""
    for language, texts in messages.items():
        if name not in texts:
            if language == "en":
                doc.fail(key, f"unknown message '{name}'")
            doc.fail(key, f"message '{name}' is missing in [{language}] of messages.toml")
        extra = set(_PLACEHOLDER.findall(texts[name])) - REPLY_PLACEHOLDERS
        if extra:
            doc.fail(key, f"message '{name}' uses {{{sorted(extra)[0]}}}; a rule's message may use only "
                          f"{', '.join(sorted(REPLY_PLACEHOLDERS))}")
    return name


def _load_rules(doc: Doc, findings: set[str], areas: Mapping[str, Area],
                messages: Mapping[str, Mapping[str, str]]) -> tuple[Rule, ...]:
    rules = []
    seen: set[str] = set()
    for r, table in enumerate(doc.array("rules")):
        key = f"rules[{r}]"
        entry = doc.sub(key, table,
                        required={"id": str, "bucket": str, "source": str, "reason": str, "when": list},
                        optional={"reply": str, "note": str, "unless": list}, localised=True)
        if entry["id"] in seen:
            doc.fail(f"{key}.id", f"duplicate rule id '{entry['id']}'")
        seen.add(entry["id"])
        doc.choice(f"{key}.bucket", entry["bucket"], RULE_BUCKETS)
        if not entry["source"].strip():
            doc.fail(f"{key}.source", "every rule names its source")
        whens = []
        for w, raw in enumerate(entry["when"]):
            wkey = f"{key}.when[{w}]"
            cond = doc.sub(wkey, raw, optional={
                "findings": list, "findings_any": list, "thoracic": bool, "areas": list, "areas_not": list,
                "hours_min": (int, float), "hours_max": (int, float), "soreness_min": int, "soreness_max": int, "soreness_known": bool,
                "trend": str, "intensity": list, "unrecognised": bool, "flagged": bool, "denied_flag": bool,
                "findings_not": list, "answering": bool, "conversational": bool})
            if not raw:
                doc.fail(wkey, "an empty condition would fire on every reply")
            for name in ("findings", "findings_any", "findings_not"):
                for f in cond.strings(name):
                    if f not in findings:
                        doc.fail(f"{wkey}.{name}", f"unknown finding '{f}'")
            for name in ("areas", "areas_not"):
                for a in cond.strings(name):
                    if a not in areas:
                        doc.fail(f"{wkey}.{name}", f"unknown area '{a}'")
            for i in cond.strings("intensity"):
                doc.choice(f"{wkey}.intensity", i, INTENSITIES)
            if "trend" in cond:
                doc.choice(f"{wkey}.trend", cond["trend"], TRENDS)
            whens.append(When(
                findings=frozenset(cond.strings("findings")), findings_any=frozenset(cond.strings("findings_any")),
                thoracic=cond.get("thoracic"), areas=frozenset(cond.strings("areas")), areas_not=frozenset(cond.strings("areas_not")),
                hours_min=cond.get("hours_min"), hours_max=cond.get("hours_max"),
                soreness_min=cond.get("soreness_min"), soreness_max=cond.get("soreness_max"), soreness_known=cond.get("soreness_known"),
                trend=cond.get("trend"), intensity=frozenset(cond.strings("intensity")),
                unrecognised=cond.get("unrecognised"), flagged=cond.get("flagged"),
                denied_flag=cond.get("denied_flag"), findings_not=frozenset(cond.strings("findings_not")),
                answering=cond.get("answering"),
                conversational=cond.get("conversational")))
        if not whens:
            doc.fail(f"{key}.when", "a rule needs at least one condition")
        reply = _message_key(doc, f"{key}.reply", entry["reply"], messages) if "reply" in entry else None
        note = _message_key(doc, f"{key}.note", entry["note"], messages) if "note" in entry else None
        unless = frozenset(doc.string_list(f"{key}.unless", entry.get("unless", [])))
        rules.append(Rule(entry["id"], entry["bucket"], entry["source"], entry["reason"], tuple(whens),
                          _localised(entry, "reason"), reply, note, unless))
    by_id = {rule.id: rule for rule in rules}
    for r, rule in enumerate(rules):
        for other in sorted(rule.unless):
            if other not in by_id:
                doc.fail(f"rules[{r}].unless", f"unknown rule '{other}'")
            if by_id[other].unless:
                doc.fail(f"rules[{r}].unless", f"'{other}' has an `unless` of its own; only plain rules hold "
                                               "one back")
    return tuple(rules)


def _localised(entry: Any, base: str) -> dict[str, str]:
    texts = {"en": entry[base]} if base in entry else {}
    for name, value in entry.items():
        match = LOCALISED.match(name)
        if match and match.group(1) == base:
            texts[match.group(2)] = value
    return texts


def _load_questions(doc: Doc, findings: set[str]) -> tuple[tuple[int, ...], tuple[Question, ...]]:
    hours = doc.data.get("checkin_hours")
    if not isinstance(hours, list) or not hours or not all(isinstance(h, int) and h > 0 for h in hours) or hours != sorted(set(hours)):
        doc.fail("checkin_hours", "must be a non-empty, increasing list of whole hours")
    doc.sub("", doc.data, required={"checkin_hours": list, "questions": list})
    questions = []
    for q, table in enumerate(doc.array("questions")):
        key = f"questions[{q}]"
        entry = doc.sub(key, table, required={"id": str, "kind": str, "text": str, "asked_at": list},
                        optional={"help": str, "options": list, "role": str, "min": int, "max": int, "none_option": str},
                        localised=True)
        doc.choice(f"{key}.kind", entry["kind"], QUESTION_KINDS)
        for h in entry["asked_at"]:
            if h not in hours:
                doc.fail(f"{key}.asked_at", f"{h} is not one of checkin_hours {hours}")
        options = []
        for o, raw in enumerate(entry.get("options", [])):
            okey = f"{key}.options[{o}]"
            opt = doc.sub(okey, raw, required={"id": str, "label": str}, optional={"findings": list}, localised=True)
            for f in opt.strings("findings"):
                if f not in findings:
                    doc.fail(f"{okey}.findings", f"unknown finding '{f}'")
            options.append(Option(opt["id"], opt["label"], tuple(opt.strings("findings")), _localised(opt, "label")))
        if entry["kind"] == "scale":
            if entry.get("min", 0) >= entry.get("max", 10):
                doc.fail(f"{key}.max", "must be above min")
        elif not options:
            doc.fail(f"{key}.options", f"a {entry['kind']} question needs options")
        none_option = entry.get("none_option")
        if none_option is not None and none_option not in {o.id for o in options}:
            doc.fail(f"{key}.none_option", f"'{none_option}' is not one of its options")
        questions.append(Question(entry["id"], entry["kind"], entry["text"], entry.get("help", ""), tuple(entry["asked_at"]),
                                  tuple(options), entry.get("role"), entry.get("min", 0), entry.get("max", 10), none_option,
                                  _localised(entry, "text"), _localised(entry, "help")))
    for hour in hours:
        if not any(hour in q.asked_at for q in questions):
            doc.fail("checkin_hours", f"the {hour} h check-in has no questions")
    return tuple(hours), tuple(questions)


def _load_tips(doc: Doc, hours: tuple[int, ...], topics: set[str]) -> tuple[Tip, ...]:
    tips = []
    for t, table in enumerate(doc.array("tips")):
        key = f"tips[{t}]"
        entry = doc.sub(key, table, required={"id": str, "file": str, "source": str},
                        optional={"checkins": list, "intensity": list, "activity": list, "topic": str})
        if not entry["source"].strip():
            doc.fail(f"{key}.source", "every tip names its source")
        for h in entry.get("checkins", []):
            if h not in hours:
                doc.fail(f"{key}.checkins", f"{h} is not one of checkin_hours {list(hours)}")
        for i in entry.get("intensity", []):
            doc.choice(f"{key}.intensity", i, INTENSITIES)
        topic = entry.get("topic")
        if topic is not None and topic not in topics:
            doc.fail(f"{key}.topic", f"no finding 'topic_{topic}' in lexicon.toml detects this topic")
        path = doc.root / entry["file"]
        if not path.is_file():
            doc.fail(f"{key}.file", f"missing tip file {entry['file']}")
        texts = {"en": doc.read_text(f"{key}.file", path).strip()}
        for translated in sorted(path.parent.glob(f"*/{path.name}")):
            texts[translated.parent.name] = doc.read_text(f"{key}.file", translated).strip()
        tips.append(Tip(entry["id"], entry["source"], texts["en"], texts, tuple(entry.get("checkins", [])),
                        tuple(entry.get("intensity", [])), tuple(entry.get("activity", [])), topic))
    for hour in hours:
        if not any(hour in t.checkins or not t.checkins for t in tips if t.topic is None):
            doc.fail("tips", f"no general tip for the {hour} h check-in")
    return tuple(tips)


def _check_markup(doc: Doc, key: str, text: str) -> None:
    stack = []
    for match in _TAG.finditer(text):
        tag = match.group(1).lower()
        if tag not in ALLOWED_TAGS:
            doc.fail(key, f"tag <{tag}> is not allowed (only {', '.join(ALLOWED_TAGS)})")
        if match.group(0).startswith("</"):
            if not stack or stack.pop() != tag:
                doc.fail(key, f"closing </{tag}> does not match")
        else:
            stack.append(tag)
    if stack:
        doc.fail(key, f"<{stack[-1]}> is never closed")


def _load_messages(doc: Doc, required: Mapping[str, set[str]]) -> dict[str, dict[str, str]]:
    languages = {lang: doc.sub(lang, table, optional={k: str for k in table}) for lang, table in doc.data.items()}
    if "en" not in languages:
        doc.fail("en", "English messages are required (they are the fallback)")
    english = languages["en"]
    for key, placeholders in required.items():
        if key not in english:
            doc.fail(f"en.{key}", "missing message")
    for lang, messages in languages.items():
        for key, text in messages.items():
            if key not in english:
                doc.fail(f"{lang}.{key}", "not an English message key")
            names = set(_PLACEHOLDER.findall(text))
            allowed = required.get(key, set(_PLACEHOLDER.findall(english[key])))
            if names - allowed:
                doc.fail(f"{lang}.{key}", f"unknown placeholder {{{sorted(names - allowed)[0]}}}")
            _check_markup(doc, f"{lang}.{key}", text)
    return {lang: dict(m) for lang, m in languages.items()}


def _load_course(doc: Doc, hours: tuple[int, ...]) -> Course:
    top = doc.sub("", doc.data, required={"source": str, "severe": (int, float), "band": list, "labels": dict})
    if not top["source"].strip():
        doc.fail("source", "the expected course names its source")
    if not 0 < top["severe"] <= 10:
        doc.fail("severe", "must be a score above 0 and at most 10")
    band = []
    for i, raw in enumerate(doc.array("band")):
        point = doc.sub(f"band[{i}]", raw, required={"hours": (int, float), "low": (int, float), "high": (int, float)})
        if point["hours"] < 0 or (band and point["hours"] <= band[-1][0]):
            doc.fail(f"band[{i}].hours", "must be 0 or more and above the previous point's hours")
        if not 0 <= point["low"] <= 10 or not 0 <= point["high"] <= 10:
            doc.fail(f"band[{i}]", "low and high must be scores from 0 to 10")
        if point["low"] > point["high"]:
            doc.fail(f"band[{i}].high", "must be at least low")
        band.append((float(point["hours"]), float(point["low"]), float(point["high"])))
    if len(band) < 2 or band[-1][0] < hours[-1]:
        doc.fail("band", f"needs at least two points, reaching the last check-in ({hours[-1]} h)")
    labels = {}
    for language, table in top["labels"].items():
        entry = doc.sub(f"labels.{language}", table, optional={k: str for k in COURSE_LABELS})
        for key, text in entry.items():
            if not text.strip():
                doc.fail(f"labels.{language}.{key}", "must not be empty")
        labels[language] = dict(entry)
    for key in COURSE_LABELS:
        if key not in labels.get("en", {}):
            doc.fail(f"labels.en.{key}", "missing (English is the fallback)")
    return Course(top["source"], float(top["severe"]), tuple(band), labels)


def load_guidance(root: Path) -> Guidance:
    """Load the guidance folder at `root`; raise GuidanceError naming the file and the key."""
    root = Path(root)
    if not root.is_dir():
        raise GuidanceError(f"{root}: guidance folder not found")
    areas = _load_areas(Doc.open(root, "areas.toml"))
    lexicon = _load_lexicon(Doc.open(root, "lexicon.toml"), areas)
    finding_ids = {f.id for f in lexicon.findings}
    messages = _load_messages(Doc.open(root, "messages.toml"), REQUIRED_MESSAGES)
    rules = _load_rules(Doc.open(root, "rules.toml"), finding_ids, areas, messages)
    hours, questions = _load_questions(Doc.open(root, "questions.toml"), finding_ids)
    topics = {f[len("topic_"):] for f in finding_ids if f.startswith("topic_")}
    tips = _load_tips(Doc.open(root, "tips.toml"), hours, topics)
    course = _load_course(Doc.open(root, "course.toml"), hours)
    return Guidance(root, areas, lexicon, rules, questions, hours, tips, messages, course=course)
