"""Checked access to a guidance TOML file: every error names the file and the dotted key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping, NoReturn, Sequence

from bot.reader.patterns import Pattern, PatternError, compile_pattern

TYPE_NAMES = {str: "text", bool: "true/false", int: "a whole number", float: "a number", list: "a list", dict: "a table"}


class GuidanceError(ValueError):
    """A guidance file that cannot be used; the message names the file and the key."""


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(TYPE_NAMES.get(t, t.__name__) for t in types)


def _is(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


class Entry(dict):
    """A validated table; `strings(name)` is the list of texts under `name` (empty if absent)."""

    def strings(self, name: str) -> list[str]:
        return list(self.get(name, []))


class Doc:
    def __init__(self, root: Path, name: str, data: dict[str, Any]):
        self.root = root
        self.name = name
        self.data = data

    @classmethod
    def open(cls, root: Path, name: str) -> "Doc":
        path = root / name
        if path.exists() and not _inside(root, path):
            raise GuidanceError(f"{name}: leads outside the guidance folder {root}")
        try:
            with path.open("rb") as handle:
                return cls(root, name, tomllib.load(handle))
        except FileNotFoundError:
            raise GuidanceError(f"{name}: file missing from {root}") from None
        except OSError as error:
            raise GuidanceError(f"{name}: cannot read: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise GuidanceError(f"{name}: not UTF-8 text") from None
        except tomllib.TOMLDecodeError as error:
            raise GuidanceError(f"{name}: not valid TOML: {error}") from None

    def read_text(self, key: str, path: Path) -> str:
        """A text file that the key names, which must lie inside the guidance folder (symlinks
        resolved): a clinic's edit must never make the bot send a file from elsewhere."""
        if not _inside(self.root, path):
            shown = path.relative_to(self.root) if path.is_relative_to(self.root) else path
            self.fail(key, f"{shown} is outside the guidance folder")
        try:
            data = path.read_bytes()
        except OSError as error:
            self.fail(key, f"cannot read {path.name}: {error.strerror or error}")
        if b"\x00" in data:
            self.fail(key, f"{path.name} is not a text file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(key, f"{path.name} is not UTF-8 text")

    def fail(self, key: str, message: str) -> NoReturn:
        raise GuidanceError(f"{self.name}: {key}: {message}" if key else f"{self.name}: {message}")

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, dict):
            self.fail(key, "missing or not a table")
        return value

    def array(self, key: str) -> list[dict[str, Any]]:
        value = self.data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"missing or not a list of tables ([[{key}]])")
        return value

    def sub(
        self,
        key: str,
        value: Any,
        required: Mapping[str, type | tuple[type, ...]] = {},
        optional: Mapping[str, type | tuple[type, ...]] = {},
        localised: bool = False,
    ) -> Entry:
        prefix = f"{key}." if key else ""
        if not isinstance(value, dict):
            self.fail(key, "must be a table")
        for name, expected in required.items():
            if name not in value:
                self.fail(f"{prefix}{name}", "missing")
        for name, item in value.items():
            expected = required.get(name) or optional.get(name)
            if expected is None and localised and name.rsplit("_", 1)[0] in ("text", "label", "help", "reason"):
                expected = str
            if expected is None:
                self.fail(f"{prefix}{name}", "unknown key")
            if not _is(item, expected):
                self.fail(f"{prefix}{name}", f"must be {_type_name(expected)}")
        return Entry(value)

    def choice(self, key: str, value: str, options: Sequence[str]) -> None:
        if value not in options:
            self.fail(key, f"'{value}' is not one of {', '.join(options)}")

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            self.fail(key, "must be text")
        return value

    def string_list(self, key: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of texts")
        return value

    def pattern(self, key: str, text: Any, groups: Mapping[str, Iterable[Pattern]]) -> Pattern:
        try:
            return compile_pattern(self.string(key, text), groups)
        except PatternError as error:
            self.fail(key, str(error))
