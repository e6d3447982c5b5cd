"""A burst of due check-ins: emulator users, a clinic config pointing at the emulator, and a
database seeded through `bot.store.database.Store` alone, as enrolment would leave it; and the
folder a drill keeps them in."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator import BotApiEmulator, User
from bot.store.database import Store

from ..harness import write_config

CLINIC = "harbour"


@dataclass
class Burst:
    folder: Path
    config: Path
    database: Path
    patients: list[User]
    staff: list[User]
    checkins: dict[int, int] = field(default_factory=dict)  # check-in row id -> patient's chat id
    sessions: list[int] = field(default_factory=list)
    seeded_at: float = 0.0

    @property
    def chats(self) -> set[int]:
        return {p.id for p in self.patients}


@contextmanager
def drill_folder(folder: Path | None, prefix: str) -> Iterator[Path]:
    """`folder` (kept afterwards), or a temporary one removed at the end."""
    if folder is not None:
        yield Path(folder)
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as temporary:
        yield Path(temporary)


def seed_burst(
    emu: BotApiEmulator,
    folder: Path,
    patients: int,
    *,
    second_after: float | None = None,
    now: float | None = None,
    first_in: float = 0.0,
    **clinic: object,
) -> Burst:
    """`patients` users, each with a follow-up whose 6 h check-in is due `first_in` seconds from
    now (and, with `second_after`, its 24 h check-in due that many seconds later). No quiet hours,
    clock_speed 1, so the bot sends them as soon as they fall due; `clinic` overrides other config
    keys."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staff = [emu.add_user("Dana", last_name="Reyes"), emu.add_user("Sam", last_name="Okafor")]
    people = [emu.add_user(f"Patient{i:04d}") for i in range(patients)]
    settings = {"quiet_hours": None, "clock_speed": 1, **clinic}
    roles = [(staff[0].id, "Dana Reyes", "practitioner"), (staff[1].id, "Sam Okafor", "admin")]
    config = write_config(folder, emu.base_url, roles, **settings)
    now = time.time() if now is None else now
    treated_at = now - 6 * 3600
    token = {
        "clinic_id": CLINIC,
        "areas": json.dumps(["calf"]),
        "intensity": "moderate",
        "activities": "[]",
        "first_session": 1,
        "treated_at": treated_at,
        "practitioner_id": staff[0].id,
    }
    schedule = [(0, 6.0, now + first_in)]
    if second_after is not None:
        schedule.append((1, 24.0, now + first_in + second_after))
    burst = Burst(folder, config, folder / "aftercare.sqlite3", people, staff, seeded_at=now)
    store = Store(burst.database)
    try:
        for person in people:
            patient_id = store.save_patient(person.id, person.first_name, "en", CLINIC, now=treated_at)
            session_id = store.start_session(patient_id, token, 1.0, schedule, now=treated_at)
            burst.sessions.append(session_id)
            for row in store.checkins(session_id):
                burst.checkins[row["id"]] = person.id
    finally:
        store.close()
    return burst
