"""How `aftercare demo` shows the chats: one line group per message, live, with rich.

Each line carries the nominal hours since treatment, the chat it happened in (a colour per
chat) and what was said. Bot messages are the Telegram HTML the bot sent, turned into rich
styles; buttons are shown as [Button] [Button]; an edit shows only the lines it added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.emulator import Message

_STYLES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "a": "underline",
    "s": "strike",
    "del": "strike",
    "code": "bold",
    "pre": "bold",
    "blockquote": "italic",
}


class _HtmlToText(HTMLParser):
    """Telegram HTML (b, i, u, s, a, code, pre, blockquote) as a rich Text; unknown tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = Text()
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _STYLES:
            self._open.append((tag, _STYLES[tag]))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index]
                break

    def handle_data(self, data: str) -> None:
        style = " ".join(dict.fromkeys(s for _, s in self._open))
        self.text.append(data, style=style or None)


def html_to_text(html: str) -> Text:
    parser = _HtmlToText()
    parser.feed(html)
    parser.close()
    return parser.text


def message_text(message: Message) -> Text:
    """What the chat shows: the HTML the bot sent, styled, or the plain text."""
    if message.html is not None and message.parse_mode and message.parse_mode.upper() == "HTML":
        return html_to_text(message.html)
    return Text(message.text or "")


def buttons_text(keyboard: list[list[dict]]) -> Text:
    text = Text()
    for row in keyboard:
        for button in row:
            if text:
                text.append(" ")
            text.append(f"[{button.get('text', '?')}]", style="bold reverse")
    return text


@dataclass(frozen=True)
class ChatLook:
    label: str
    style: str


class ChatDisplay:
    """Prints each chat event as it happens (or nothing, when quiet)."""

    def __init__(self, console: Console, hours: Callable[[], float], quiet: bool = False):
        self.console = console
        self.hours = hours
        self.quiet = quiet
        self.looks: dict[int, ChatLook] = {}
        self._shown: dict[tuple[int, int], tuple[list[str], set[str]]] = {}
        self._long: set[str] = set()
        self.messages = 0  # sent by the bot so far: the progress of a quiet run

    def add_chat(self, chat_id: int, label: str, style: str) -> None:
        self.looks[chat_id] = ChatLook(label, style)

    def _print(self, chat_id: int, body: Text) -> None:
        if self.quiet:
            return
        look = self.looks.get(chat_id, ChatLook(str(chat_id), "white"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", style="dim", no_wrap=True, min_width=7)
        grid.add_column(no_wrap=True, min_width=12, max_width=12)
        grid.add_column(ratio=1, overflow="fold")
        grid.add_row(f"+{self.hours():.1f}h", Text(look.label, style=f"bold {look.style}"), body)
        self.console.print(grid)

    def bot_message(self, message: Message, event: str) -> None:
        """An emulator on_bot_message listener: "sent", "edited" or "deleted"."""
        if event == "sent":
            self.messages += 1
        key = (message.chat_id, message.message_id)
        lines: list[Text] = list(message_text(message).split("\n", allow_blank=True))
        before, buttons_before = self._shown.get(key, ([], set()))
        labels = [b.get("text", "") for row in message.keyboard for b in row]
        self._shown[key] = ([line.plain for line in lines], set(labels))
        if event == "deleted":
            return self._print(message.chat_id, Text("(deleted a message)", style="dim"))
        body = Text()
        if event == "sent" and len(lines) > 3:
            # The same long message as another chat got (the consent, say): its first line only.
            look = self.looks.get(message.chat_id)
            shape = message_text(message).plain.replace(look.label.split(" ")[0], "\0") if look else None
            if shape in self._long:
                lines = [lines[0].append(" […as above]", style="dim")]
            elif shape is not None:
                self._long.add(shape)
        if event == "edited":
            body.append("(edited) ", style="dim italic")
            lines = [line for line in lines if line.plain.strip() and line.plain not in before]
        while lines and not lines[-1].plain.strip():
            lines.pop()
        body.append(Text("\n").join(lines))
        if event == "edited" and not lines and message.keyboard and buttons_before:
            changed = [[{"text": label}] for label in labels if label not in buttons_before]
            body.append("buttons now show " if changed else "no visible change", style="dim")
            body.append(buttons_text(changed))
        elif message.keyboard:
            if body.plain.strip() and not body.plain.endswith("\n"):
                body.append("\n")
            body.append(buttons_text(message.keyboard))
        elif event == "edited" and not lines:
            body.append("buttons removed", style="dim")
        if message.photo is not None:
            body.append("\n(a picture)", style="dim")
        self._print(message.chat_id, body)

    def user_action(self, chat_id: int, what: str, *, typed: bool = False, button: bool = False) -> None:
        look = self.looks.get(chat_id, ChatLook("", "white"))
        body = Text("▶ ", style=f"bold {look.style}")
        if button:
            body.append("taps ")
            body.append(f"[{what}]", style="bold reverse")
        elif typed:
            body.append(f"“{what}”", style=f"bold {look.style}")
        else:
            body.append(what, style="italic")
        self._print(chat_id, body)

    def note(self, text: str, style: str = "dim") -> None:
        if not self.quiet:
            self.console.print(Text(text, style=style))
