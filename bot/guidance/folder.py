"""The files of one guidance folder: TOML checked against a schema, prose read as text.

Both stay inside the folder (symlinks resolved): a clinic's edit must never make the bot read
or send a file from elsewhere. Imports only `bot.guidance.toml_doc`.
"""

from __future__ import annotations

from pathlib import Path

from bot.guidance.toml_doc import GuidanceError, Schema, Table, read_toml


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def open_toml(root: Path, name: str, schema: Schema) -> Table:
    """The TOML file `name` of the folder `root`, its top level checked against `schema`."""
    path = root / name
    if not path.exists():
        raise GuidanceError(name, None, f"file missing from {root}")
    if not _inside(root, path):
        raise GuidanceError(name, None, f"leads outside the guidance folder {root}")
    return Table(name, "", read_toml(path, name, GuidanceError), schema, GuidanceError)


def read_text(root: Path, table: Table, key: str, path: Path) -> str:
    """The text file at `path`, which `key` of `table` names; any problem is an error at `key`."""
    if not _inside(root, path):
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        table.fail(key, f"{shown} is outside the guidance folder")
    try:
        data = path.read_bytes()
    except OSError as error:
        table.fail(key, f"cannot read {path.name}: {error.strerror or error}")
    if b"\x00" in data:
        table.fail(key, f"{path.name} is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        table.fail(key, f"{path.name} is not UTF-8 text")
