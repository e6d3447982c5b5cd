"""Pure rendering helpers: message templates to Telegram HTML, tips, keyboards, button data.

Every value that comes from a patient, a member of staff or a config is escaped here, once;
a template's own tags (<b>, <i>) are kept. Keyboards are plain dicts so they can be stored in
the outbox and sent later exactly as rendered.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.guidance.model import Guidance

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
MESSAGE_LIMIT = 4096


class Safe(str):
    """Text that is already valid Telegram HTML (rendered by this module), inserted as is."""


def escape(value: object) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


# Shown as nothing yet changing how the text around them is shown, or hiding what a name is:
# Unicode's format characters (bidi embeddings, overrides, isolates and marks; zero-width space,
# joiners, BOM, invisible operators, tags) and controls, and the fillers that draw as blanks.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_BREAKS = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def neutral(text: object) -> str:
    """A patient's name or words as staff see them: line and paragraph breaks become spaces,
    bidi controls and invisible characters go, so a name cannot reverse or hide the text around
    it (U+202E) nor pass for another patient's (zero-width characters). Emoji joined by U+200D
    fall apart into their pieces, still readable."""
    text = str(text)
    if text.isprintable() and _INVISIBLE_LETTERS.isdisjoint(text):
        return text  # no break, control or format character: most names and words, at once
    return "".join(" " if ch in _BREAKS else ch for ch in text if ch in _BREAKS or _visible(ch))


def one_line(value: object, limit: int) -> str:
    """A person's words on one line, neutralised, cut to `limit` characters with an ellipsis."""
    text = " ".join(neutral(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _visible(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cf", "Cc") and ch not in _INVISIBLE_LETTERS


def plain(text: str) -> str:
    """Telegram HTML as plain text (a button's notice takes no HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def message(guidance: Guidance, key: str, language: str | None = None, **values: object) -> Safe:
    """The message `key` in the patient's language (English when missing), values escaped."""
    template = guidance.message(key, language or "en")
    filled = template.format(**{name: escape(values[name]) for name in _placeholders(template)})
    return Safe(_fit(filled))


@lru_cache(maxsize=1024)
def _placeholders(template: str) -> frozenset[str]:
    """Parsed once per template: guidance is loaded once, and every reply renders a message."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fit(text: str) -> str:
    """Telegram refuses messages over 4096 characters; cut at a line and say so."""
    if len(text) <= MESSAGE_LIMIT:
        return text
    cut = text[: MESSAGE_LIMIT - 2].rsplit("\n", 1)[0]
    return cut + "\n…"


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?!\w)")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def markdown(text: str) -> Safe:
    """The Markdown subset of tips (**bold**, _italic_, [links](https://…)) as Telegram HTML."""
    out = html.escape(text, quote=False)
    out = _LINK.sub(lambda m: f'<a href="{m.group(2).replace(chr(34), "&quot;")}">{m.group(1)}</a>', out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    return Safe(out)


def bullets(items: list[str]) -> Safe:
    """Lines already rendered (Safe) or plain text, as a bulleted list."""
    return Safe("\n".join(f"• {escape(item)}" for item in items))


def keyboard(rows: list[list[tuple[str, str]]]) -> dict:
    """An inline keyboard of (label, callback_data) buttons."""
    for row in rows:
        for _, data in row:
            if not 1 <= len(data.encode()) <= CALLBACK_LIMIT:
                raise ValueError(f"callback data {data!r} is not 1-{CALLBACK_LIMIT} bytes")
    return {
        "inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]
    }


def reply_keyboard(rows: list[list[dict[str, Any]]]) -> dict:
    """A reply keyboard under the message box, hidden once a button is pressed: each button
    sends its text, or with `request_contact` the user's own phone number."""
    return {"keyboard": rows, "one_time_keyboard": True, "resize_keyboard": True}


REMOVE_KEYBOARD = {"remove_keyboard": True}  # takes a reply keyboard away


@dataclass(frozen=True)
class Button:
    """What a button press means: an action, the row it refers to, and a value."""

    action: str
    row_id: int
    value: str = ""

    def pack(self) -> str:
        return f"{self.action}:{self.row_id}:{self.value}"


_BUTTON = re.compile(r"^([a-z_]{1,12}):(\d{1,12}):([A-Za-z0-9_,.-]{0,36})$")


def unpack(data: str | None) -> Button | None:
    """The button a press carries, or None for data this bot never made (stale or forged)."""
    match = _BUTTON.match(data or "")
    return Button(match.group(1), int(match.group(2)), match.group(3)) if match else None
