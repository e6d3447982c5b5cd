"""The one TOML validator, shared by the config and every guidance file.

A table's keys and the kind of each are declared in a `Schema`; a `Table` checks its data
against it when made, and every error names the file and the dotted key, the way a clinic can
act on it: `config.toml: clinics[0].timezon: unknown key (did you mean 'timezone'?)`,
`rules.toml: rules[3].reason: expected text, got a whole number 5`. Unknown keys are errors: a
misspelt optional key would otherwise be ignored and its default used without anyone noticing.
What a schema cannot say (patterns, durations, time zones, cross references) the loaders check
with `Table.fail`, `Table.parse` and `Table.choice`, so those errors read the same.

Hand-written rather than msgspec (0.23, tried): msgspec says "Expected `int`, got `str` - at
`$.clinics[0].staff[0].telegram_id`" and "Object contains unknown field `timezon` - at
`$.clinics[0]`". Keeping today's messages would mean parsing its English back into a key,
walking the data again for the value found and the keys allowed (for "did you mean"), and it
cannot declare the guidance's free translations (`text_es`, `label_fr`). The type check is the
small part; the semantic checks stay ours either way, so one small validator and no dependency.

Imports nothing of the bot."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class TomlError(ValueError):
    """A TOML file that cannot be used, located as `file: key: message`."""

    def __init__(self, file: str | Path, key: str | None, message: str):
        self.file, self.key = str(file), key
        super().__init__(": ".join(part for part in (self.file, key, message) if part))


class GuidanceError(TomlError):
    """A guidance folder that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Kind:
    """What a value must be, as a clinic would say it ("a whole number")."""

    name: str
    fits: Callable[[Any], bool]
    filled: bool = False  # text that must not be blank


def _number(value: Any) -> bool:
    # TOML booleans are Python ints, and a number may be written as a whole number.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


TEXT = Kind("text", lambda value: isinstance(value, str))
FILLED_TEXT = Kind("text", lambda value: isinstance(value, str), filled=True)
WHOLE = Kind("a whole number", lambda value: isinstance(value, int) and not isinstance(value, bool))
NUMBER = Kind("a number", _number)
BOOL = Kind("true or false", lambda value: isinstance(value, bool))
LIST = Kind("a list", lambda value: isinstance(value, list))
TEXTS = Kind(
    "a list of texts", lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value)
)
TABLE = Kind("a table", lambda value: isinstance(value, dict))

_NAMES = {
    str: "text",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a table",
}
_WHERE = re.compile(r"(.*) \(at (line \d+, column \d+)\)")
_TRANSLATION = re.compile(r"(?P<base>[a-z]+)_[a-z]{2}")
# A guidance folder ships a language when messages.toml has a table of its texts.
SHIPPED = "the languages shipped are the tables of messages.toml"


@dataclass(frozen=True)
class Schema:
    """The keys a table may hold and the kind of each.

    `values` instead describes a table of free keys (message texts by key, term groups by
    name). `translated` names keys that may also come as `<key>_<language>` ("text_es")."""

    required: Mapping[str, Kind] = field(default_factory=dict)
    optional: Mapping[str, Kind] = field(default_factory=dict)
    values: Kind | None = None
    translated: frozenset[str] = frozenset()

    def kind_of(self, name: str) -> Kind | None:
        if self.values is not None:
            return self.values
        kind = self.required.get(name) or self.optional.get(name)
        translation = _TRANSLATION.fullmatch(name)
        if kind is None and translation and translation["base"] in self.translated:
            return TEXT
        return kind


def describe(value: Any) -> str:
    """A found value as an error shows it: `text 'bot'`, `a whole number 8081`."""
    return f"{_NAMES.get(type(value), type(value).__name__)} {value!r}"


def read_toml(path: Path, file: str | Path, error: type[TomlError]) -> dict[str, Any]:
    """The TOML document at `path`; `error` (naming it `file`) when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as problem:
        raise error(file, None, f"cannot read: {problem.strerror or problem}") from None
    except UnicodeDecodeError:
        raise error(file, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as problem:
        where = _WHERE.fullmatch(str(problem))
        message = f"not valid TOML ({where[2]}): {where[1]}" if where else f"not valid TOML: {problem}"
        raise error(file, None, message) from None


class Table:
    """A TOML table checked against its schema; knows its file and dotted key to name both."""

    def __init__(
        self, file: str | Path, key: str, data: Any, schema: Schema, error: type[TomlError] = TomlError
    ):
        self.file, self.key, self.schema, self._error = str(file), key, schema, error
        if not isinstance(data, dict):
            raise error(self.file, key or None, f"expected a table, got {describe(data)}")
        self.data: dict[str, Any] = data
        kinds = {name: self._kind(name) for name in data}
        for name in schema.required:
            if name not in data:
                self.fail(name, "missing")
        for name, kind in kinds.items():
            self.expect(name, data[name], kind)

    def _kind(self, name: str) -> Kind:
        kind = self.schema.kind_of(name)
        if kind is None:
            close = difflib.get_close_matches(name, [*self.schema.required, *self.schema.optional], n=1)
            self.fail(name, "unknown key" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return kind

    def expect(self, name: str, value: Any, kind: Kind) -> Any:
        """`value`, found at `name` in this table (a key or an item: "all[0]"), if of `kind`."""
        if not kind.fits(value):
            self.fail(name, f"expected {kind.name}, got {describe(value)}")
        if kind.filled and not value.strip():
            self.fail(name, "must not be empty")
        return value

    def child(self, name: str) -> str:
        """The dotted key of `name` inside this table; `name` may carry an index ("when[0]")."""
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, message: str) -> TomlError:
        return self._error(self.file, self.child(name) if name else self.key or None, message)

    def fail(self, name: str, message: str) -> NoReturn:
        raise self.error(name, message)

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def __len__(self) -> int:
        return len(self.data)

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self.data.items())

    def strings(self, name: str) -> list[str]:
        """The texts under `name`, empty when it is absent."""
        return list(self.data.get(name, []))

    def table(self, name: str, schema: Schema) -> Table:
        """The table under `name` (empty when absent), checked against `schema`."""
        return Table(self.file, self.child(name), self.data.get(name, {}), schema, self._error)

    def tables(self, name: str, schema: Schema) -> list[Table]:
        """Each table of the list under `name` (`[[name]]`), keyed `name[0]`, `name[1]`..."""
        return [
            Table(self.file, self.child(f"{name}[{index}]"), item, schema, self._error)
            for index, item in enumerate(self.data.get(name, []))
        ]

    def each(self, schema: Schema) -> Iterator[tuple[str, Table]]:
        """Every value of a table of free keys, itself a table checked against `schema`."""
        for name, value in self.data.items():
            yield name, Table(self.file, self.child(name), value, schema, self._error)

    def parse(self, name: str, parser: Callable[..., T], *args: Any) -> T:
        """`parser(*args)`; its ValueError becomes an error at `name`."""
        try:
            return parser(*args)
        except ValueError as problem:
            self.fail(name, str(problem))

    def choice(self, name: str, value: str, options: Sequence[str]) -> str:
        if value not in options:
            self.fail(name, f"'{value}' is not one of {', '.join(options)}")
        return value

    def check_languages(self, languages: Collection[str]) -> None:
        """Each translated key here in every one of `languages` ("en" being the key itself), and no
        translation of a key this item lacks or into a language the guidance does not ship."""
        for name in self.data:
            translation = _TRANSLATION.fullmatch(name)
            if name in self.schema.required or name in self.schema.optional or not translation:
                continue
            base, language = translation["base"], name.rsplit("_", 1)[1]
            if language not in languages:
                self.fail(name, f"'{language}' is not a language of this guidance ({SHIPPED})")
            if base not in self.data:
                self.fail(name, f"translates '{base}', which this item does not have")
        for base in sorted(self.schema.translated & set(self.data)):
            for language in sorted(set(languages) - {"en"}):
                if f"{base}_{language}" not in self.data:
                    self.fail(f"{base}_{language}", f"missing (the guidance ships '{language}')")

    def translations(self, base: str) -> dict[str, str]:
        """`base` and its `<base>_<language>` translations, by language ("en" for `base`)."""
        texts = {"en": self.data[base]} if base in self.data else {}
        for name, value in self.data.items():
            translation = _TRANSLATION.fullmatch(name)
            if translation and translation["base"] == base and name != base:
                texts[name.rsplit("_", 1)[1]] = value
        return texts
