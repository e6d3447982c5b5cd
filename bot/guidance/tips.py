"""Load `tips.toml`: self-care tips, their Markdown files and translations, and when each fits.

Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

from pathlib import Path

from bot.guidance.folder import read_text
from bot.guidance.model import INTENSITIES, Tip
from bot.guidance.toml_doc import LIST, TEXT, TEXTS, WHOLE, Schema, Table

TIPS = Schema(required={"tips": LIST, "per_message": WHOLE})
TIP = Schema(
    required={"id": TEXT, "file": TEXT, "source": TEXT},
    optional={"checkins": LIST, "intensity": TEXTS, "activity": TEXTS, "topic": TEXT},
)


def load_tips(root: Path, top: Table, hours: tuple[int, ...], topics: set[str]) -> tuple[Tip, ...]:
    """The tips of `tips.toml` (read as `top`); every check-in hour has a general one."""
    tips = tuple(_tip(root, entry, hours, topics) for entry in top.tables("tips", TIP))
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


def _tip(root: Path, entry: Table, hours: tuple[int, ...], topics: set[str]) -> Tip:
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
    for translated in sorted(path.parent.glob(f"*/{path.name}")):
        texts[translated.parent.name] = read_text(root, entry, "file", translated).strip()
    return Tip(
        entry["id"],
        entry["source"],
        texts["en"],
        texts,
        tuple(entry.get("checkins", [])),
        tuple(entry.strings("intensity")),
        tuple(entry.strings("activity")),
        topic,
    )
