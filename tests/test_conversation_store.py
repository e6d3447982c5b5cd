"""What the store keeps of a conversation (issue 10): waiting answers superseded, not deleted;
photos by file_id, erased with the follow-up; a tombstone that outlives /delete and holds only a
chat's last clinic; and no older follow-up found once the newest one was stopped."""

import pytest

from bot.followup.status import MessageKind
from bot.store.database import Store

from .test_store import SCHEDULE, TOKEN

CHAT, OTHER = 700_000_001, 700_000_002


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    yield store
    store.close()


def followed(store, chat=CHAT, clinic="harbour"):
    patient = store.save_patient(chat, "Ana", "en", clinic, 1000.0)
    return patient, store.start_session(patient, {**TOKEN, "clinic_id": clinic}, 1.0, SCHEDULE, 1000.0)


def status(store, row_id):
    return store.outbox_row(row_id)["status"]


def test_waiting_answers_are_superseded_with_their_buckets_and_urgent_ones_never(store):
    _, session = followed(store)
    contact = store.add_assessment(session, None, 6, "contact_practitioner", ["C10"], [], None, None, 1000.0)
    normal = store.add_assessment(session, None, 6, "normal", ["N1"], [], None, None, 1001.0)
    rows = {
        "contact": store.enqueue(
            CHAT, MessageKind.ANSWER, "contact", None, 1000.0, ref_id=contact, priority=0
        ),
        "small talk": store.enqueue(
            CHAT, MessageKind.ANSWER, "hello", {"inline_keyboard": []}, 1000.5, priority=0
        ),
        "normal": store.enqueue(CHAT, MessageKind.ANSWER, "normal", None, 1001.0, ref_id=normal, priority=0),
        "in flight": store.enqueue(CHAT, MessageKind.ANSWER, "sending", None, 1001.0, priority=0),
        "emergency": store.enqueue(CHAT, MessageKind.ANSWER, "call", None, 1001.0, priority=-1),
        "check-in": store.enqueue(CHAT, "checkin", "how are you?", None, 1001.0, priority=2),
        "other chat": store.enqueue(OTHER, MessageKind.ANSWER, "other", None, 1001.0, priority=0),
    }
    store.claim_outbox(rows["in flight"])
    superseded = store.supersede_answers(CHAT)
    assert [(r["text"], r["bucket"]) for r in superseded] == [
        ("contact", "contact_practitioner"),
        ("hello", None),
        ("normal", "normal"),
    ]
    assert superseded[1]["markup"] == {"inline_keyboard": []}
    assert {name: status(store, row) for name, row in rows.items()} == {
        "contact": "superseded",
        "small talk": "superseded",
        "normal": "superseded",
        "in flight": "sending",
        "emergency": "pending",
        "check-in": "pending",
        "other chat": "pending",
    }
    assert store.supersede_answers(CHAT) == []
    assert store.unsent() == 4  # superseded rows are kept, never sent


@pytest.mark.parametrize(
    "state, unsent", [("pending", True), ("sending", True), ("sent", False), ("failed", False)]
)
def test_an_urgent_answer_counts_as_unsent_until_telegram_took_it(store, state, unsent):
    row = store.enqueue(CHAT, MessageKind.ANSWER, "call", None, 1000.0, priority=-1)
    if state != "pending":
        store.claim_outbox(row)
    if state == "sent":
        store.outbox_sent(row, 5, 1001.0)
    elif state == "failed":
        store.outbox_failed(row, "blocked")
    assert store.urgent_answer_unsent(CHAT) is unsent
    assert store.urgent_answer_unsent(OTHER) is False


@pytest.mark.parametrize("erase", ["delete", "purge"])
def test_photos_are_erased_with_their_follow_up_and_the_tombstone_stays(store, erase):
    patient, session = followed(store)
    store.add_photo(session, None, 11, "PHOTO-1", 1000.0)
    alert = store.add_alert(
        session,
        store.add_assessment(session, None, 6, "contact_practitioner", [], [], None, None, 1000.0),
        "harbour",
        "contact_practitioner",
        1000.0,
    )
    assert store.forward_photos(session, alert, [1, -100], "📷", 1000.0) == 1
    assert store.forward_photos(session, alert, [1], "📷", 1000.0) == 0  # forwarded once
    assert (
        store._one("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'alert_photo' AND photo = 'PHOTO-1'")["n"]
        == 2
    )
    if erase == "delete":
        store.delete_patient(patient)
    else:
        store.stop_session(session)
        store.purge_expired("harbour", cutoff=10**12)
    assert store.photos(session) == []
    assert store._one("SELECT COUNT(*) AS n FROM outbox WHERE photo IS NOT NULL")["n"] == 0
    assert store.tombstone(CHAT) == "harbour"
    assert store._one("SELECT * FROM tombstones") == {"telegram_id": CHAT, "clinic_id": "harbour"}


def test_the_tombstone_names_the_clinic_last_joined(store):
    assert store.tombstone(CHAT) is None
    followed(store, clinic="north")
    followed(store, clinic="harbour")
    assert store.tombstone(CHAT) == "harbour"


def test_after_stop_no_older_follow_up_is_current(store):
    patient, older = followed(store, clinic="north")
    store.db.execute("UPDATE sessions SET status = 'completed' WHERE id = ?", [older])
    _, newer = followed(store, clinic="harbour")
    assert store.current_session(patient)["id"] == newer
    store.stop_session(newer)
    assert store.current_session(patient) is None
    assert store.latest_session(patient)["id"] == newer
