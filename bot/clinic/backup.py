"""`aftercare backup`: where a copy of the database may go, and making it.

The copy is SQLite's online backup (`Store.backup`), so it is consistent while the bot runs.
The checks keep a tired operator from destroying what they meant to protect: the live database
is never a target, an existing file is replaced only when asked, and a mistyped folder is an
error rather than a new folder nobody looks in.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class BackupError(ValueError):
    """Why a backup was not made, in one line."""


def check_target(database: Path, target: Path, force: bool) -> None:
    live = {
        database.resolve(),
        *(database.resolve().with_name(database.name + end) for end in ("-wal", "-shm")),
    }
    if target.resolve() in live:
        raise BackupError(f"{target} is the live database: back it up to another file")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists: add --force to replace it")


def back_up(database: Path, target: Path, force: bool) -> None:
    """Copy `database` to `target`, private to its owner like the original."""
    check_target(database, target, force)
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    from bot.store.database import Store  # here: every other command starts without the database layer

    try:
        target.unlink(missing_ok=True)  # a replaced file is created anew, with the database's mode
        store = Store(database)
        try:
            store.backup(target)
        finally:
            store.close()
    except (OSError, sqlite3.Error) as error:
        target.unlink(missing_ok=True)  # half a copy is worse than none: it looks like a backup
        raise BackupError(f"cannot back up to {target}: {error}") from None
