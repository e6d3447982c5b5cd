"""The open database and what every family of queries shares: row reads, one-commit
transactions, the outbox INSERT, the private file and its online backup.

Times are Unix seconds (float, UTC). Statements are short and run on the event loop's thread
(sqlite-utils connections are single-threaded). Imports `bot.followup.status` and the
migrations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database

from bot.followup.status import MessageKind, OutboxStatus
from bot.store.migrations import migrations


def marks(values: tuple | list) -> str:
    """The `?, ?, ...` an `IN (...)` takes for `values`, passed as parameters."""
    return ", ".join("?" * len(values))


def create_private(path: Path) -> None:
    """Health data: the database file is readable by the bot's user alone."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Connection:
    """One SQLite file (or memory), its pragmas set and its migrations applied."""

    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            create_private(Path(path))
            self.db = Database(path)
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit (FULL cost 0.4 ms per
            # commit, most of a reply's time). A committed transaction still survives the bot
            # crashing or being killed; only an OS crash or power loss can undo the last few.
            self.db.execute("PRAGMA synchronous = NORMAL")
        else:
            self.db = Database(memory=True)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        # What is deleted is overwritten with zeros, not left in free space for a file reader to
        # find (some SQLite builds default to off). The WAL is cleared apart: `truncate_wal`.
        self.db.execute("PRAGMA secure_delete = ON")
        self.wal_dirty = False  # erased words may still be in the WAL: truncate_wal has to run
        self._wal_tried_at = float("-inf")  # monotonic time of the last try
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    # Reads go straight to sqlite3: sqlite-utils' query() wraps each SELECT in a savepoint, three
    # statements for one, and every patient message reads several rows.
    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        cursor = self.db.conn.execute(sql, list(params))
        row = cursor.fetchone()
        return None if row is None else dict(zip([c[0] for c in cursor.description], row, strict=True))

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes committed together or not at all, with one commit. Inside another transaction
        this one is a savepoint of it, so writers that commit alone can also be grouped. (Like
        sqlite-utils' atomic(), whose savepoints have a new name each time: a statement for
        SQLite to compile on every nested write.)"""
        conn = self.db.conn
        nested = conn.in_transaction
        conn.execute("SAVEPOINT store_nested" if nested else "BEGIN")
        try:
            yield
            conn.execute("RELEASE store_nested" if nested else "COMMIT")
        except BaseException:
            if conn.in_transaction:  # an error may have ended the transaction already
                conn.execute("ROLLBACK TO store_nested" if nested else "ROLLBACK")
                if nested:
                    conn.execute("RELEASE store_nested")
            raise

    def _insert(self, sql: str, params: Iterable[Any]) -> int:
        """Run one INSERT, committed alone, and return the new row's id."""
        return cast(int, self.db.execute(sql, list(params)).lastrowid)  # an INSERT always sets it

    def _update(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a write and say how many rows it changed: 0 means another caller won the claim."""
        with self.transaction():
            return self.db.conn.execute(sql, list(params)).rowcount

    def _insert_outbox(
        self,
        chat_id: int,
        kind: MessageKind,
        text: str,
        markup: dict | None,
        now: float,
        ref_id: int | None,
        priority: int,
        edit_message_id: int | None = None,
        photo: bytes | None = None,
        patient_id: int | None = None,
    ) -> int:
        """Queue a message inside the caller's transaction: each family that claims a row queues
        its message in the same commit (bot/store/outbox.py says what the arguments mean)."""
        cursor = self.db.conn.execute(
            """INSERT INTO outbox (chat_id, kind, ref_id, text, markup, priority, due_at, status, attempts,
                                   created_at, edit_message_id, photo, patient_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)""",
            [
                chat_id,
                kind,
                ref_id,
                text,
                json.dumps(markup) if markup else None,
                priority,
                now,
                OutboxStatus.PENDING,
                now,
                edit_message_id,
                photo,
                patient_id,
            ],
        )
        return cast(int, cursor.lastrowid)

    def backup(self, target: str | Path) -> None:
        """A consistent copy while the bot runs (SQLite's online backup), private like the original."""
        target = Path(target)
        create_private(target)
        destination = Database(target)
        with destination.conn:
            self.db.conn.backup(destination.conn)
        destination.close()
