"""Load `rules.toml`: the triage rules, each with its conditions, source and reason.

Checks every name a rule uses against what the other files define (findings, areas, messages,
other rules), so a typo fails at start instead of never firing. Imports its siblings in
`bot.guidance` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.guidance.model import (
    INTENSITIES,
    REPLY_PLACEHOLDERS,
    RULE_BUCKETS,
    SAME_DAY,
    TRENDS,
    Area,
    Rule,
    When,
)
from bot.guidance.toml_doc import BOOL, LIST, NUMBER, TEXT, TEXTS, WHOLE, Schema, Table

RULES = Schema(required={"rules": LIST})
RULE = Schema(
    required={"id": TEXT, "bucket": TEXT, "source": TEXT, "reason": TEXT, "when": LIST},
    optional={"reply": TEXT, "note": TEXT, "unless": TEXTS, "same_day": TEXT},
    translated=frozenset({"reason"}),
)
WHEN = Schema(
    optional={
        "findings": TEXTS,
        "findings_any": TEXTS,
        "findings_not": TEXTS,
        "thoracic": BOOL,
        "areas": TEXTS,
        "areas_not": TEXTS,
        "hours_min": NUMBER,
        "hours_max": NUMBER,
        "soreness_min": WHOLE,
        "soreness_max": WHOLE,
        "soreness_known": BOOL,
        "trend": TEXT,
        "intensity": TEXTS,
        "unrecognised": BOOL,
        "flagged": BOOL,
        "denied_flag": BOOL,
        "answering": BOOL,
        "conversational": BOOL,
    }
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Messages = Mapping[str, Mapping[str, str]]


def load_rules(
    top: Table, findings: set[str], areas: Mapping[str, Area], messages: Messages
) -> tuple[Rule, ...]:
    """The rules of `rules.toml` (read as `top`), in file order."""
    rules: list[Rule] = []
    for entry in top.tables("rules", RULE):
        if entry["id"] in {rule.id for rule in rules}:
            entry.fail("id", f"duplicate rule id '{entry['id']}'")
        entry.check_languages(messages)
        entry.choice("bucket", entry["bucket"], RULE_BUCKETS)
        if not entry["source"].strip():
            entry.fail("source", "every rule names its source")
        whens = tuple(_when(when, findings, areas) for when in entry.tables("when", WHEN))
        if not whens:
            entry.fail("when", "a rule needs at least one condition")
        reply = _message_key(entry, "reply", messages) if "reply" in entry else None
        note = _message_key(entry, "note", messages) if "note" in entry else None
        same_day = entry.choice("same_day", entry["same_day"], SAME_DAY) if "same_day" in entry else None
        if same_day and entry["bucket"] != "contact_practitioner":
            entry.fail(
                "same_day",
                "only a contact_practitioner rule waits for opening hours, so only it can be same_day",
            )
        rules.append(
            Rule(
                entry["id"],
                entry["bucket"],
                entry["source"],
                entry["reason"],
                whens,
                entry.translations("reason"),
                reply,
                note,
                frozenset(entry.strings("unless")),
                same_day,
            )
        )
    _check_unless(top, rules)
    return tuple(rules)


def _when(cond: Table, findings: set[str], areas: Mapping[str, Area]) -> When:
    if not len(cond):
        cond.fail("", "an empty condition would fire on every reply")
    for name in ("findings", "findings_any", "findings_not"):
        for finding in cond.strings(name):
            if finding not in findings:
                cond.fail(name, f"unknown finding '{finding}'")
    for name in ("areas", "areas_not"):
        for area in cond.strings(name):
            if area not in areas:
                cond.fail(name, f"unknown area '{area}'")
    for intensity in cond.strings("intensity"):
        cond.choice("intensity", intensity, INTENSITIES)
    if "trend" in cond:
        cond.choice("trend", cond["trend"], TRENDS)
    return When(
        findings=frozenset(cond.strings("findings")),
        findings_any=frozenset(cond.strings("findings_any")),
        thoracic=cond.get("thoracic"),
        areas=frozenset(cond.strings("areas")),
        areas_not=frozenset(cond.strings("areas_not")),
        hours_min=cond.get("hours_min"),
        hours_max=cond.get("hours_max"),
        soreness_min=cond.get("soreness_min"),
        soreness_max=cond.get("soreness_max"),
        soreness_known=cond.get("soreness_known"),
        trend=cond.get("trend"),
        intensity=frozenset(cond.strings("intensity")),
        unrecognised=cond.get("unrecognised"),
        flagged=cond.get("flagged"),
        denied_flag=cond.get("denied_flag"),
        findings_not=frozenset(cond.strings("findings_not")),
        answering=cond.get("answering"),
        conversational=cond.get("conversational"),
    )


def _message_key(entry: Table, name: str, messages: Messages) -> str:
    """A rule's `reply` or `note`: a message (every language has it), using only outcome placeholders."""
    key = entry[name]
    if key not in messages["en"]:
        entry.fail(name, f"unknown message '{key}'")
    for texts in messages.values():
        extra = set(_PLACEHOLDER.findall(texts[key])) - REPLY_PLACEHOLDERS
        if extra:
            entry.fail(
                name,
                f"message '{key}' uses {{{sorted(extra)[0]}}}; a rule's message may use only "
                f"{', '.join(sorted(REPLY_PLACEHOLDERS))}",
            )
    return key


def _check_unless(top: Table, rules: list[Rule]) -> None:
    """`unless` names rules that exist and hold none back themselves (one level, no loops)."""
    by_id = {rule.id: rule for rule in rules}
    for r, rule in enumerate(rules):
        for other in sorted(rule.unless):
            if other not in by_id:
                top.fail(f"rules[{r}].unless", f"unknown rule '{other}'")
            if by_id[other].unless:
                top.fail(
                    f"rules[{r}].unless",
                    f"'{other}' has an `unless` of its own; only plain rules hold one back",
                )
