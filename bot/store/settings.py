"""Clinic settings changed from Telegram (/settings): the values over the config file's, the
staff added or removed over its list, and the audit of every change (who, when, before, after).

Values are JSON in the config file's form ("6h", ["6h", "24h"], null for unset). Each change and
its audit row are written in one transaction. Imports the shared connection and `bot.guidance.settings`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bot.guidance.settings import StaffChange
from bot.store.connection import Connection

Audit = tuple[str | None, str | None]  # a setting as shown before and after a change


class SettingsQueries(Connection):
    def clinic_settings(self) -> dict[str, dict[str, Any]]:
        """The stored values by clinic id, then by key."""
        return _values(self.db.conn)

    def clinic_staff(self) -> dict[str, list[StaffChange]]:
        """Staff changes by clinic id, in the order they were made."""
        return _staff(self.db.conn)

    def set_clinic_setting(
        self, clinic_id: str, key: str, value: Any, audit: Audit, by: int, now: float
    ) -> None:
        """Store `key`'s value for the clinic (over the file's), with its audit row (`audit`: the
        value shown before and after)."""
        with self.transaction():
            self.db.conn.execute(
                """INSERT INTO clinic_settings (clinic_id, key, value, changed_by, changed_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (clinic_id, key) DO UPDATE
                   SET value = excluded.value, changed_by = excluded.changed_by,
                       changed_at = excluded.changed_at""",
                [clinic_id, key, json.dumps(value), by, now],
            )
            self._audit(clinic_id, key, audit, by, now)

    def reset_clinic_setting(self, clinic_id: str, key: str, audit: Audit, by: int, now: float) -> None:
        """Back to the config file's value for `key`, audited."""
        with self.transaction():
            self.db.conn.execute(
                "DELETE FROM clinic_settings WHERE clinic_id = ? AND key = ?", [clinic_id, key]
            )
            self._audit(clinic_id, key, audit, by, now)

    def set_clinic_staff(
        self, clinic_id: str, member: tuple[int, str, str, bool], audit: Audit, by: int, now: float
    ) -> None:
        """A staff member (telegram_id, name, role, removed) added or removed over the file's list."""
        with self.transaction():
            self.db.conn.execute(
                """INSERT INTO clinic_staff
                   (clinic_id, telegram_id, name, role, removed, changed_by, changed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (clinic_id, telegram_id) DO UPDATE
                   SET name = excluded.name, role = excluded.role, removed = excluded.removed,
                       changed_by = excluded.changed_by, changed_at = excluded.changed_at""",
                [clinic_id, *member, by, now],
            )
            self._audit(clinic_id, "staff", audit, by, now)

    def reset_clinic_staff(self, clinic_id: str, audit: Audit, by: int, now: float) -> None:
        """Back to the config file's staff list, audited."""
        with self.transaction():
            self.db.conn.execute("DELETE FROM clinic_staff WHERE clinic_id = ?", [clinic_id])
            self._audit(clinic_id, "staff", audit, by, now)

    def settings_audit(self, clinic_id: str) -> list[dict[str, Any]]:
        """Every change to the clinic's settings, oldest first."""
        return self._all(
            """SELECT key, before, after, changed_by, changed_at FROM settings_audit
               WHERE clinic_id = ? ORDER BY id""",
            [clinic_id],
        )

    def _audit(self, clinic_id: str, key: str, audit: Audit, by: int, now: float) -> None:
        self.db.conn.execute(
            """INSERT INTO settings_audit (clinic_id, key, before, after, changed_by, changed_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [clinic_id, key, *audit, by, now],
        )


def stored_settings(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[StaffChange]]]:
    """The stored values and staff changes of the database at `path`, read only: nothing is
    created or migrated (for `aftercare check-config`). None in a database not there yet, or
    from before the settings (m011)."""
    if not path.is_file():
        return {}, {}
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _values(conn), _staff(conn)
    except sqlite3.OperationalError:  # no such table: the bot has not run this version yet
        return {}, {}
    finally:
        conn.close()


def _values(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for clinic_id, key, value in conn.execute(
        "SELECT clinic_id, key, value FROM clinic_settings ORDER BY clinic_id, key"
    ):
        found.setdefault(clinic_id, {})[key] = json.loads(value)
    return found


def _staff(conn: sqlite3.Connection) -> dict[str, list[StaffChange]]:
    found: dict[str, list[StaffChange]] = {}
    for clinic_id, telegram_id, name, role, removed in conn.execute(
        "SELECT clinic_id, telegram_id, name, role, removed FROM clinic_staff ORDER BY changed_at, rowid"
    ):
        found.setdefault(clinic_id, []).append(StaffChange(telegram_id, name, role, bool(removed)))
    return found
