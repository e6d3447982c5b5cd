"""Load `messages.toml`: every text the bot sends, by language, checked against the code's needs.

`bot.guidance.message_keys` says which messages the code sends and their placeholders; here each
language's texts are checked against it and against English, and their markup against what
Telegram accepts. Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.guidance.toml_doc import TABLE, TEXT, Schema, Table

MESSAGES = Schema(values=TABLE)
TEXTS_BY_KEY = Schema(values=TEXT)
ALLOWED_TAGS = ("b", "i", "u", "s", "code")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_TAG = re.compile(r"</?([a-zA-Z0-9-]+)[^>]*>")


def load_messages(top: Table, required: Mapping[str, set[str]]) -> dict[str, dict[str, str]]:
    """The texts of `messages.toml` (read as `top`) by language, then by message key. Its tables
    declare the languages the guidance ships; each has exactly the keys of English."""
    languages = dict(top.each(TEXTS_BY_KEY))
    if "en" not in languages:
        top.fail("en", "English messages are required (every other language is checked against them)")
    english = languages["en"]
    for key in required:
        if key not in english:
            english.fail(key, "missing message")
    for language, messages in languages.items():
        if not _LANGUAGE.fullmatch(language):
            top.fail(language, "a language is a two-letter code such as 'es'")
        for key in english.data:
            if key not in messages:
                messages.fail(key, "missing (every language has every key of [en])")
        for key, text in messages.items():
            if key not in english:
                messages.fail(key, "not an English message key")
            names = set(_PLACEHOLDER.findall(text))
            allowed = required.get(key, set(_PLACEHOLDER.findall(english[key])))
            if names - allowed:
                messages.fail(key, f"unknown placeholder {{{sorted(names - allowed)[0]}}}")
            _check_markup(messages, key, text)
    return {language: dict(messages.data) for language, messages in languages.items()}


def _check_markup(messages: Table, key: str, text: str) -> None:
    stack: list[str] = []
    for match in _TAG.finditer(text):
        tag = match.group(1).lower()
        if tag not in ALLOWED_TAGS:
            messages.fail(key, f"tag <{tag}> is not allowed (only {', '.join(ALLOWED_TAGS)})")
        if match.group(0).startswith("</"):
            if not stack or stack.pop() != tag:
                messages.fail(key, f"closing </{tag}> does not match")
        else:
            stack.append(tag)
    if stack:
        messages.fail(key, f"<{stack[-1]}> is never closed")
