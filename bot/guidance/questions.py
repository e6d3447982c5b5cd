"""Load `questions.toml`: the check-in hours and the questions asked at each.

Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

from bot.guidance.model import QUESTION_KINDS, Option, Question
from bot.guidance.toml_doc import BOOL, LIST, TEXT, TEXTS, WHOLE, Schema, Table

QUESTIONS = Schema(required={"checkin_hours": LIST, "questions": LIST})
QUESTION = Schema(
    required={"id": TEXT, "kind": TEXT, "text": TEXT, "asked_at": LIST},
    optional={
        "help": TEXT,
        "options": LIST,
        "role": TEXT,
        "min": WHOLE,
        "max": WHOLE,
        "none_option": TEXT,
        "after_alert": BOOL,
    },
    translated=frozenset({"text", "help"}),
)
OPTION = Schema(
    required={"id": TEXT, "label": TEXT},
    optional={"findings": TEXTS, "short": TEXT},
    translated=frozenset({"label", "short"}),
)
SHORT_LABEL_CHARS = 18  # two checklist buttons share a row on a phone


def load_questions(
    top: Table, findings: set[str], languages: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[Question, ...]]:
    """The check-in hours and the questions of `questions.toml` (read as `top`), each text in
    every one of `languages`."""
    hours = top["checkin_hours"]
    if not hours or not all(isinstance(h, int) and h > 0 for h in hours) or hours != sorted(set(hours)):
        top.fail("checkin_hours", "must be a non-empty, increasing list of whole hours")
    entries = top.tables("questions", QUESTION)
    questions = tuple(_question(entry, hours, findings, languages) for entry in entries)
    for hour in hours:
        if not any(hour in q.asked_at and not q.after_alert for q in questions):
            top.fail("checkin_hours", f"the {hour} h check-in has no questions")
    return tuple(hours), questions


def _question(entry: Table, hours: list[int], findings: set[str], languages: tuple[str, ...]) -> Question:
    entry.check_languages(languages)
    entry.choice("kind", entry["kind"], QUESTION_KINDS)
    for hour in entry["asked_at"]:
        if hour not in hours:
            entry.fail("asked_at", f"{hour} is not one of checkin_hours {hours}")
    tables = entry.tables("options", OPTION)
    options = tuple(_option(option, findings, languages) for option in tables)
    if entry["kind"] == "scale":
        if entry.get("min", 0) >= entry.get("max", 10):
            entry.fail("max", "must be above min")
    elif not options:
        entry.fail("options", f"a {entry['kind']} question needs options")
    none_option = entry.get("none_option")
    if none_option is not None and none_option not in {o.id for o in options}:
        entry.fail("none_option", f"'{none_option}' is not one of its options")
    if entry["kind"] == "checklist":
        for table, option in zip(tables, options, strict=True):
            if option.id != none_option:
                _check_short(table, option)
    return Question(
        entry["id"],
        entry["kind"],
        entry["text"],
        entry.get("help", ""),
        tuple(entry["asked_at"]),
        options,
        entry.get("role"),
        entry.get("min", 0),
        entry.get("max", 10),
        none_option,
        entry.translations("text"),
        entry.translations("help"),
        entry.get("after_alert", False),
    )


def _option(option: Table, findings: set[str], languages: tuple[str, ...]) -> Option:
    option.check_languages(languages)
    for finding in option.strings("findings"):
        if finding not in findings:
            option.fail("findings", f"unknown finding '{finding}'")
    return Option(
        option["id"],
        option["label"],
        tuple(option.strings("findings")),
        option.translations("label"),
        option.translations("short"),
    )


def _check_short(table: Table, option: Option) -> None:
    """A checklist sign's button label: given (in every language, as every translated key is),
    short enough to share a row."""
    if "en" not in option.shorts:
        table.fail("short", "a checklist option needs a short label")
    for lang, short in option.shorts.items():
        if len(short) > SHORT_LABEL_CHARS:
            key = "short" if lang == "en" else f"short_{lang}"
            table.fail(key, f"must be at most {SHORT_LABEL_CHARS} characters (two buttons share a row)")
