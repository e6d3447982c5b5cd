"""An incoming update is stored (the inbox) before Telegram is told it arrived, handled from there
after a kill, and emptied once handled; one handled twice answers once (bot/telegram/intake.py)."""

import json
import time

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.store.database import Store
from bot.telegram.intake import InboxRequest, sender

from .harness import running_bot
from .test_patient_journey import consent, next_checkin, until

WORDS = "calf a bit sore today, about 3 out of 10"


def words_stored(store, user):
    patient = store.patient_by_telegram(user.id)
    session = store.current_session(patient["id"])
    return [a for a in store.session_answers(session["id"]) if a["question_id"] == "text"]


async def enrolled(emu, folder):
    """Ana, in follow-up, after a first run of the bot."""
    async with running_bot(emu, folder) as h:
        ana = emu.add_user("Ana")
        await consent(h, ana)
        return ana, h.services.config.storage.database


def kill_after_fetch(emu, database, update, confirmed):
    """What a SIGKILL leaves after the getUpdates answer with `update` was stored: the inbox row,
    and at Telegram the update forgotten (`confirmed`, a later getUpdates went out) or not."""
    store = Store(database)
    try:
        store.inbox_add([(update["update_id"], sender(update), json.dumps(update))], time.time())
    finally:
        store.close()
    if confirmed:
        emu.world.updates.drop_pending()


@pytest.mark.parametrize("confirmed", [True, False], ids=["telegram-forgot-it", "telegram-sends-it-again"])
async def test_a_message_fetched_but_not_handled_before_a_kill_is_handled_once_at_the_next_start(
    emulator, tmp_path, confirmed
):
    ana, database = await enrolled(emulator, tmp_path)
    await emulator.send_text(ana, WORDS)
    kill_after_fetch(emulator, database, emulator.pending_updates[-1], confirmed)
    answers_before = len(emulator.messages_to(ana))

    async with running_bot(emulator, tmp_path) as h:
        await until(lambda: len(emulator.messages_to(ana)) > answers_before)
        await h.idle()
        assert [a["value"] for a in words_stored(h.store, ana)] == [WORDS]
        assert len(emulator.messages_to(ana)) == answers_before + 1
        assert h.store.inbox_waiting() == []
        # The replayed copy is handled before polling starts; Telegram's own copy comes with the
        # first getUpdates after it, which a busy machine makes late.
        await until(lambda: h.app.update_processor.resent == (0 if confirmed else 1))
        assert len(emulator.messages_to(ana)) == answers_before + 1  # and it was not answered twice


async def test_a_message_handled_up_to_its_answer_before_the_kill_is_not_answered_again(emulator, tmp_path):
    """Killed after the answer was queued, before the update was emptied: handed over again at
    the next start, it finds its words taken and answered, and does nothing."""
    ana, database = await enrolled(emulator, tmp_path)
    async with running_bot(emulator, tmp_path) as h:
        before = len(emulator.messages_to(ana))
        await emulator.send_text(ana, WORDS)
        update = emulator.pending_updates[-1]
        await until(lambda: len(emulator.messages_to(ana)) > before)
        await h.idle()
        assert h.store.inbox_handled(update["update_id"])  # it went through the inbox
    store = Store(database)
    store.db.execute("DELETE FROM inbox WHERE update_id = ?", [update["update_id"]])  # as if never emptied
    store.close()
    kill_after_fetch(emulator, database, update, confirmed=True)
    answers = len(emulator.messages_to(ana))

    async with running_bot(emulator, tmp_path) as h:
        await h.idle()
        await until(lambda: not h.store.inbox_waiting())
        assert [a["value"] for a in words_stored(h.store, ana)] == [WORDS]
        assert len(emulator.messages_to(ana)) == answers


async def test_the_getupdates_answer_is_in_the_inbox_before_ptb_reads_it(emulator, tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    ana = emulator.add_user("Ana")
    await emulator.send_text(ana, WORDS)
    bot = Bot(emulator.token, base_url=emulator.base_url, get_updates_request=InboxRequest(store))
    async with bot:
        updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [emulator.last_update_id]
    rows = store.db.execute("SELECT update_id, telegram_id, body FROM inbox").fetchall()
    stored = [(r[0], r[1], json.loads(r[2])["message"]["text"]) for r in rows]
    assert stored == [(emulator.last_update_id, ana.id, WORDS)]
    store.close()


async def test_when_the_inbox_refuses_an_update_ptb_gets_a_network_error_and_telegram_keeps_it(
    emulator, tmp_path
):
    store = Store(tmp_path / "db.sqlite3")
    ana = emulator.add_user("Ana")
    await emulator.send_text(ana, WORDS)
    bot = Bot(emulator.token, base_url=emulator.base_url, get_updates_request=InboxRequest(store))
    store.close()  # any sqlite3 error: locked, disk full, closed
    async with bot:
        with pytest.raises(NetworkError, match="inbox unavailable"):
            await bot.get_updates(timeout=0)
    assert [u["update_id"] for u in emulator.pending_updates] == [emulator.last_update_id]


ERASURE = [
    # (updates of the patient: waiting?, whose words are left after /delete is handled)
    pytest.param(
        [("handled", 1), ("being handled", 2), ("later", 3)], [3], id="a later message is still handled"
    ),
    pytest.param([("being handled", 1)], [], id="the delete itself"),
    pytest.param([("being handled", 1), ("other person", 2)], [2], id="others untouched"),
]


@pytest.mark.parametrize("rows, left", ERASURE)
def test_erasure_empties_the_patients_updates_up_to_the_one_being_handled(rows, left):
    store = Store(":memory:")
    patient = store.save_patient(600001, "Ana", "en", "harbour", 0.0)
    store.inbox_add(
        [
            (
                uid,
                600002 if what == "other person" else 600001,
                json.dumps({"update_id": uid, "words": "Ana's"}),
            )
            for what, uid in rows
        ],
        0.0,
    )
    for what, uid in rows:
        if what == "handled":
            store.inbox_done(uid)
    store.delete_patient(patient)
    assert [r["update_id"] for r in store.inbox_waiting()] == left
    emptied_but_named = "SELECT COUNT(*) FROM inbox WHERE body IS NULL AND telegram_id IS NOT NULL"
    assert store.db.execute(emptied_but_named).fetchone()[0] == 0


@pytest.mark.parametrize(
    "update, who",
    [
        ({"update_id": 1, "message": {"from": {"id": 7}, "chat": {"id": 7}}}, 7),
        ({"update_id": 1, "callback_query": {"from": {"id": 8}}}, 8),
        ({"update_id": 1, "edited_message": {"chat": {"id": -5}}}, -5),
        ({"update_id": 1, "poll": {"id": "x"}}, None),
    ],
)
def test_the_sender_of_an_update_is_recorded_for_erasure(update, who):
    assert sender(update) == who


def test_handled_updates_are_forgotten_after_telegrams_day():
    store = Store(":memory:")
    store.inbox_add([(1, 7, "{}"), (2, 7, "{}"), (3, 7, "{}")], now=0.0)
    store.inbox_done(1)
    store.inbox_done(2)
    store.inbox_add([(4, 7, "{}")], now=100_000.0)
    store.inbox_done(4)
    assert store.inbox_prune(before=100_000.0 - 86_400) == 2
    assert [r["update_id"] for r in store.inbox_waiting()] == [3]
    assert store.inbox_handled(4) and not store.inbox_handled(1)


async def test_a_check_in_button_pressed_before_a_kill_takes_effect_at_the_next_start(emulator, tmp_path):
    """Killed after answering the press (Telegram refuses a second answer) and before storing
    it: replayed at the next start, the answer still counts, and the patient hears no error."""
    ana, database = await enrolled(emulator, tmp_path)
    async with running_bot(emulator, tmp_path) as h:
        checkin = await next_checkin(h, ana, 6)
    query = await emulator.press_button(ana, checkin, text="3")
    query.answered = True
    emulator.allow_violations("query is too old")  # the second answer, refused as Telegram does
    kill_after_fetch(emulator, database, emulator.pending_updates[-1], confirmed=True)
    before = len(emulator.messages_to(ana))

    async with running_bot(emulator, tmp_path) as h:
        await until(lambda: not h.store.inbox_waiting())
        await h.settle()
        shown = [m.text[:60] for m in emulator.messages_to(ana)[before:]]
        assert list(h.store.checkin_answers(checkin_id(checkin)).values()) == [3], shown
        assert "3/10" in checkin.text  # the check-in moved on to its next question
        assert not any("went wrong" in t for t in shown), shown


def checkin_id(message):
    return int(message.buttons[0]["callback_data"].split(":")[1])


async def test_a_stored_update_that_cannot_be_read_is_dropped_with_one_line_and_the_bot_starts(
    emulator, tmp_path, caplog
):
    ana, database = await enrolled(emulator, tmp_path)
    store = Store(database)
    store.inbox_add([(999_999, ana.id, '{"update_id": 999999, "message": "not a message"}')], time.time())
    store.close()
    async with running_bot(emulator, tmp_path) as h:
        assert h.store.inbox_waiting() == []
        await emulator.send_text(ana, WORDS)
        await until(lambda: [a["value"] for a in words_stored(h.store, ana)] == [WORDS])
    assert any("stored update 999999 cannot be read" in r.getMessage() for r in caplog.records)
