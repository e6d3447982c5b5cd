"""Erasure that erases (issue 12, points 2 and 3): after /delete and after the retention purge,
the patient's name and words are found nowhere in the database's files (the database, its -wal
and -shm), read as bytes, as `strings` would; staff copies already in Telegram say the patient
had them erased.

Every test here runs as on a SQLite built with secure_delete off (the store's connections start
with it off): only the store's own PRAGMA can clear what it deletes.
"""

import asyncio
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.store.database import Store
from bot.store.erasure import WAL_RETRY_SECONDS
from bot.telegram.app import _purge

from .test_patient_journey import TAP, consent, next_checkin, settled, tap, until, write

NAME = "Quorindel"
WORDS = [
    "sore 3/10 after marimbaphone practice",
    "my fingers are numb since the zeppelin ride",
    "bruise from the glockenspiel stand",
    "thanks for the dirigible tips",
]
ERASED = "Erased at the patient's request."
REFERENCE = "Marimbafile-4411"  # the clinic's reference for the patient (issue 13)
PHONE = "447700918273"  # the number they shared at consent


@pytest.fixture(autouse=True)
def secure_delete_off_by_default(monkeypatch):
    """Like a SQLite build whose default is secure_delete off (Debian's is on): a connection the
    store opens starts with it off."""
    connect = sqlite3.connect

    def connect_insecure(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_insecure)


def leaks(database: Path) -> dict[str, list[str]]:
    """Which of the name and the words each of the database's files holds, as UTF-8 bytes."""
    found = {}
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        data = path.read_bytes() if path.exists() else b""
        found[path.name] = [s for s in (NAME, REFERENCE, PHONE, *WORDS) if s.encode() in data]
    return {name: hits for name, hits in found.items() if hits}


def test_secure_delete_is_on_for_the_stores_connection(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    try:
        assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        store.close()


def test_a_reader_delays_the_wal_truncation_until_it_is_gone(tmp_path):
    """A backup or a command reading the database holds the WAL: the truncation does not wait
    for it (the event loop would), and the next try after it has gone clears the words."""
    store = Store(tmp_path / "db.sqlite3")
    patient = store.save_patient(42, NAME, "en", "harbour", now=1000.0)
    token = {
        "clinic_id": "harbour",
        "areas": "[]",
        "intensity": None,
        "activities": "[]",
        "first_session": 1,
        "treated_at": 1000.0,
        "practitioner_id": None,
    }
    session = store.start_session(patient, token, 1.0, [(0, 6.0, 7000.0)], now=1000.0)
    store.add_answer(session, None, "text", WORDS[1], now=1100.0)
    reader = sqlite3.connect(tmp_path / "db.sqlite3")
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM answers").fetchone()  # a read transaction, as a backup holds
    store.delete_patient(patient, now=1200.0, erased_text=ERASED)
    assert store.wal_dirty and leaks(tmp_path / "db.sqlite3")
    reader.close()
    store.retry_truncate_wal()  # too soon: tried a moment ago
    assert store.wal_dirty
    store._wal_tried_at -= WAL_RETRY_SECONDS
    store.retry_truncate_wal()
    assert not store.wal_dirty
    assert leaks(tmp_path / "db.sqlite3") == {}
    store.close()


async def conversation(h):
    """A follow-up with everything that can carry the name, the clinic's reference, the phone and
    the words: the reference given at enrolment and the phone shared at consent, answers (one
    answer superseded by the next), a photo with a caption, an alert with its chart and the
    photo sent to staff and acknowledged, and the staff's view of the patient. Returns the patient."""
    patient = h.emu.add_user(NAME, last_name="Vantablack", phone_number=PHONE)
    await consent(h, patient, patient_ref=REFERENCE)
    h.advance(TAP)
    await h.emu.press_reply_button(patient, "📞 Share my phone number")
    await h.emu.wait_for_message(patient)
    await settled(h)
    await next_checkin(h, patient, 6)
    await write(h, patient, WORDS[0])
    h.emu.faults.delay(1.0, ["sendMessage"], times=1)  # the next answer is held by Telegram...
    h.advance(TAP)
    await h.emu.send_text(patient, WORDS[1])
    await h.emu.wait_for_message(patient)
    for words in ("still sore 3/10", WORDS[3]):  # ...so these supersede one another
        h.advance(0.2)
        await h.emu.send_text(patient, words)
    await settled(h)
    await h.emu.send_photo(patient, WORDS[2])
    await h.emu.wait_for_message(patient)
    await settled(h)
    assert h.store._one("SELECT COUNT(*) AS n FROM outbox WHERE status = 'superseded'")["n"] >= 1
    await h.tick()
    alert = await h.emu.wait_for_message(h.practitioner, lambda m: NAME in (m.text or "") and m.photo is None)
    assert REFERENCE in alert.text and PHONE in alert.text
    await h.tick()
    await h.settle()
    assert [m for m in h.emu.messages_to(h.practitioner) if m.photo]  # the chart and the photo
    await tap(h, h.practitioner, alert, "I'm handling it")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    await write(h, h.practitioner, f"/patient {patient_id}")
    await write(h, h.practitioner, "/active")  # a list that shows them among others
    await settled(h)
    assert leaks(Path(h.services.config.storage.database))  # the scan finds what is there
    return patient


async def erase(h, patient):
    """/delete, and yes; the staff's copies are edited at once, or by the tick."""
    h.advance(TAP)
    await h.emu.send_text(patient, "/delete")
    confirm = await h.emu.wait_for_message(patient, lambda m: bool(m.buttons))
    await settled(h)
    h.advance(TAP)
    confirm_text = confirm.text
    query = await h.emu.press_button(patient, confirm, text=confirm.buttons[0]["text"])
    await until(lambda: query.answered and h.processed[0] >= h.emu.last_update_id)
    for _ in range(30):  # the staff chat's pace: one message a second
        await h.tick()
        if not h.store.unsent():
            return confirm_text != confirm.text
        h.advance(1.1)
        await asyncio.sleep(0.05)  # a send in flight (from the handler) has its answer
    raise AssertionError(
        "the staff's copies were not all edited: "
        + str(
            h.store._all("SELECT kind, status, last_error FROM outbox WHERE status IN ('pending', 'sending')")
        )
    )


async def test_delete_leaves_neither_name_nor_words_in_the_database_files(make_bot):
    h = await make_bot()
    patient = await conversation(h)
    staff_before = [m for m in h.emu.messages_to(h.practitioner) if not m.deleted]
    assert await erase(h, patient)  # the confirmation became "your data has been erased"
    assert leaks(Path(h.services.config.storage.database)) == {}
    # the staff's copies in Telegram: texts say it was erased, pictures are gone
    for message in staff_before:
        if message.photo:
            assert message.deleted, "a picture of the patient is still in the staff chat"
        elif any(w in (message.text or "") for w in (NAME, REFERENCE, PHONE, *WORDS)):
            assert message.text == ERASED, message.text
    assert h.store.tombstone(patient.id) == h.clinic.id  # what a later red flag needs


async def test_an_edit_telegram_refuses_does_not_hold_up_the_erasure(make_bot):
    h = await make_bot()
    patient = await conversation(h)
    h.emu.faults.fail_next(
        50,
        400,
        methods=["editMessageText", "deleteMessage"],
        description="Bad Request: message can't be edited",
    )
    await erase(h, patient)
    assert leaks(Path(h.services.config.storage.database)) == {}
    assert h.store.patient_by_telegram(patient.id) is None


async def test_the_retention_purge_leaves_neither_name_nor_words_in_the_database_files(make_bot):
    h = await make_bot(retention_days=30)
    patient = await conversation(h)
    await write(h, patient, "/stop")
    h.advance(31 * 86400)
    await _purge(SimpleNamespace(bot_data=h.app.bot_data))
    assert h.store.patient_by_telegram(patient.id) is None
    assert leaks(Path(h.services.config.storage.database)) == {}
