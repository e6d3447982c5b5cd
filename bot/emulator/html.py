"""Telegram's HTML parse mode: the tag subset, entity decoding and error texts of tdlib's parse_html.

The walk mirrors tdlib's byte-oriented parser so that error texts, byte offsets and UTF-16
entity offsets come out as the real server reports them. One deliberate difference: with
``strict_ampersand`` a bare ``&`` is refused, where Telegram would show it literally, because it
almost always means a forgotten ``html.escape``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
# tdlib's sort_entities order for entities covering the same span.
_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20, "text_link": 49, "bold": 90,
    "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94, "custom_emoji": 99,
}  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space; the end of the text reads as NUL, which is also a space.
_SPACE = " \t\r\n\0\v\f"
_END = "\0"


class HtmlError(ValueError):
    """The text after "can't parse entities: " in Telegram's reply."""


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[dict, ...] = field(default=())


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at ``pos`` stands for and the index after it, as tdlib reads it."""
    end = pos + 1
    if source.startswith("#", end):
        end += 1
        hexadecimal = source.startswith("x", end)
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(source) and source[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(source[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED.get(source[pos + 1 : end])
        if named is None:
            return None
        char = named
    return char, end + 1 if source.startswith(";", end) else end


def parse_html(source: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Plain text and Bot API entities (UTF-16 offsets) of an HTML-formatted message."""
    return _Parser(source, strict_ampersand).run()


class _Parser:
    def __init__(self, source: str, strict_ampersand: bool):
        self.src = source
        self.strict = strict_ampersand
        self.out: list[str] = []
        self.offset16 = 0
        self.open: list[tuple[str, str, int, int]] = []  # tag, argument, utf-16 offset, out index
        self.entities: list[dict] = []

    def at(self, i: int) -> str:
        return self.src[i] if i < len(self.src) else _END

    def byte_offset(self, i: int) -> int:
        return len(self.src[:i].encode())

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.offset16 += utf16_len(text)

    def run(self) -> FormattedText:
        i = 0
        while i < len(self.src):
            char = self.src[i]
            if char == "&":
                decoded = _decode_entity(self.src, i)
                if decoded:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict:
                    raise HtmlError(
                        f'Unescaped "&" at byte offset {self.byte_offset(i)}; write it as "&amp;"'
                    )
            if char != "<":
                self.emit(char)
                i += 1
            elif self.at(i + 1) == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.open:
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{self.open[-1][0]}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # kept only to merge with an enclosing <pre>
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY[e["type"]]))
        return FormattedText("".join(self.out), tuple(self.entities))

    def skip_spaces(self, i: int) -> int:
        while i < len(self.src) and self.src[i] in _SPACE:
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        if i >= len(self.src):
            raise HtmlError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 1 : i].lower()
        where = f"at byte offset {self.byte_offset(begin)}"
        if tag not in _TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" {where}')
        argument = ""
        while self.at(i) != ">":
            i = self.skip_spaces(i)
            if self.at(i) == ">":
                break
            name_start = i
            # Stopping at ">" as well only matters for the bare `expandable` attribute.
            while self.at(i) not in _SPACE and self.at(i) not in "=>":
                i += 1
            name = self.src[name_start:i]
            if not name:
                raise HtmlError(f'Empty attribute name in the tag "{tag}" {where}')
            i = self.skip_spaces(i)
            if self.at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" {where}'
                )
            i = self.skip_spaces(i + 1)
            if i >= len(self.src):
                raise HtmlError(f'Unclosed start tag "{tag}" {where}')
            value, i = self.attribute_value(i)
            if i >= len(self.src):
                raise HtmlError(f"Unclosed start tag {where}")
            argument = _argument(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" {where}')
        self.open.append((tag, argument, self.offset16, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in "'\"":
            start = i
            while self.at(i).isascii() and (self.at(i).isalnum() or self.at(i) in ".-"):
                i += 1
            if self.at(i) not in _SPACE and self.at(i) != ">":
                raise HtmlError(f"Unexpected end of name token at byte offset {self.byte_offset(start)}")
            return self.src[start:i].lower(), i
        i += 1
        value: list[str] = []
        while i < len(self.src) and self.src[i] != quote:
            decoded = _decode_entity(self.src, i) if self.src[i] == "&" else None
            if decoded:
                value.append(decoded[0])
                i = decoded[1]
            else:
                value.append(self.src[i])
                i += 1
        return "".join(value), i + 1 if i < len(self.src) else i

    def end_tag(self, begin: int) -> int:
        where = f"at byte offset {self.byte_offset(begin)}"
        if not self.open:
            raise HtmlError(f"Unexpected end tag {where}")
        i = begin + 2
        while self.at(i) not in _SPACE and self.at(i) != ">":
            i += 1
        name = self.src[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if self.at(i) != ">":
            raise HtmlError(f"Unclosed end tag {where}")
        tag, argument, start16, start_index = self.open.pop()
        if name and name != tag:
            raise HtmlError(f'Unmatched end tag {where}, expected "</{tag}>", found "</{name}>"')
        if self.offset16 > start16:
            inner = "".join(self.out[start_index:])
            self.add_entity(tag, argument, start16, self.offset16 - start16, inner)
        return i + 1

    def add_entity(self, tag: str, argument: str, offset: int, length: int, inner: str) -> None:
        entity: dict[str, Any] = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        # The entity just added, if it spans the same text: <pre><code> make one entity.
        twin = last if last is not None and (last["offset"], last["length"]) == (offset, length) else None
        if tag in _ENTITY_TYPES:
            entity["type"] = _ENTITY_TYPES[tag]
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "tg-emoji":
            if not (argument.isascii() and argument.isdigit()) or not 0 < int(argument) < 2**63:
                raise HtmlError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or inner
            if not url or any(c in _SPACE for c in url):
                return  # Telegram silently drops a link it cannot use
            entity.update(type="text_link", url=url)
        elif tag == "pre" and twin is not None and twin["type"] == "code" and "language" in twin:
            twin["type"] = "pre"
            return
        elif tag == "code" and twin is not None and twin["type"] == "pre" and argument:
            twin["language"] = argument
            return
        else:
            entity["type"] = tag
            if tag == "code" and argument:
                entity["language"] = argument
        self.entities.append(entity)


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    return current
