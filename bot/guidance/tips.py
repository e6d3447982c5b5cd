"""Load `tips.toml`: self-care tips, their Markdown files and translations, and when each fits.

Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.guidance.folder import read_text
from bot.guidance.model import INTENSITIES, Tip
from bot.guidance.toml_doc import BOOL, LIST, SHIPPED, TEXT, TEXTS, WHOLE, Schema, Table

_LANGUAGE = re.compile(r"[a-z]{2}")  # a folder of translations beside the English tips
TIPS = Schema(required={"tips": LIST, "per_message": WHOLE})
TIP = Schema(
    required={"id": TEXT, "file": TEXT, "source": TEXT},
    optional={
        "checkins": LIST,
        "intensity": TEXTS,
        "activity": TEXTS,
        "topic": TEXT,
        "after_escalation": BOOL,
    },
)


def load_tips(
    root: Path, top: Table, hours: tuple[int, ...], topics: set[str], languages: tuple[str, ...]
) -> tuple[Tip, ...]:
    """The tips of `tips.toml` (read as `top`), each in every one of `languages`; every check-in
    hour has a general one."""
    entries = top.tables("tips", TIP)
    tips = tuple(_tip(root, entry, hours, topics, languages) for entry in entries)
    _check_no_extra(root, top, [root / entry["file"] for entry in entries], languages)
    for hour in hours:
        if not any(hour in t.checkins or not t.checkins for t in tips if t.topic is None):
            top.fail("tips", f"no general tip for the {hour} h check-in")
    return tips


def tips_per_message(top: Table) -> int:
    """The most tips one outcome lists: at least one, else a normal outcome would say nothing to do."""
    count = int(top["per_message"])
    if count < 1:
        top.fail("per_message", f"{count} tips: an outcome lists at least one")
    return count


def _tip(
    root: Path, entry: Table, hours: tuple[int, ...], topics: set[str], languages: tuple[str, ...]
) -> Tip:
    if not entry["source"].strip():
        entry.fail("source", "every tip names its source")
    for hour in entry.get("checkins", []):
        if hour not in hours:
            entry.fail("checkins", f"{hour} is not one of checkin_hours {list(hours)}")
    for intensity in entry.strings("intensity"):
        entry.choice("intensity", intensity, INTENSITIES)
    topic = entry.get("topic")
    if topic is not None and topic not in topics:
        entry.fail("topic", f"no finding 'topic_{topic}' in lexicon.toml detects this topic")
    path = root / entry["file"]
    if not path.is_file():
        entry.fail("file", f"missing tip file {entry['file']}")
    # A translation sits in a folder named after its language beside the English file.
    texts = {"en": read_text(root, entry, "file", path).strip()}
    for language in (language for language in languages if language != "en"):
        translated = path.parent / language / path.name
        if not translated.is_file():
            shown = translated.relative_to(root)
            entry.fail("file", f"missing {shown} (the guidance ships '{language}')")
        texts[language] = read_text(root, entry, "file", translated).strip()
    return Tip(
        entry["id"],
        entry["source"],
        texts["en"],
        texts,
        tuple(entry.get("checkins", [])),
        tuple(entry.strings("intensity")),
        tuple(entry.strings("activity")),
        topic,
        entry.get("after_escalation", True),
    )


def _check_no_extra(root: Path, top: Table, files: list[Path], languages: tuple[str, ...]) -> None:
    """No translation folder for a language the guidance does not ship, and no translated file
    that translates no tip (a renamed tip would leave its translations behind, unread)."""
    named = {path.resolve() for path in files}
    for folder in sorted({path.parent for path in files}):
        for translated in sorted(folder.glob("*/*.md")):
            shown = translated.relative_to(root)
            if not _LANGUAGE.fullmatch(translated.parent.name):
                continue
            if translated.parent.name not in languages:
                top.fail(
                    "tips",
                    f"{shown}: '{translated.parent.name}' is not a language of this guidance ({SHIPPED})",
                )
            english = folder / translated.name
            if english.resolve() not in named:
                top.fail("tips", f"{shown} translates no tip (no tip's file is {english.relative_to(root)})")
