"""The pure parts of an alert's life and of the follow-up after it: outcomes.toml checked like
every guidance file, the question asked after an alert, the reassuring outcome's words after an
alert, a taken alert's copy and buttons, and the rows erased with the patient."""

import json

import pytest

from bot.followup.status import AlertStatus
from bot.guidance.config import load_config
from bot.render import lifecycle
from bot.render.html import unpack
from bot.services.shared import Services
from bot.store.database import Store

from .harness import START, FakeClock, write_config
from .test_guidance import edited_guidance_error
from .test_staff_alert_rounds import STAFF, follow_up


@pytest.fixture
def services(tmp_path, guidance):
    """A clinic whose staff are 101 Dana Reyes and 102 "Lee <Kim> & Co", with a database."""
    config = load_config(write_config(tmp_path, "http://127.0.0.1:9/bot", STAFF))
    store = Store(tmp_path / "db.sqlite3")
    yield Services(config, store, {"harbour": guidance}, FakeClock())
    store.close()


@pytest.fixture
def clinic(services):
    return services.config.clinics[0]


BROKEN_OUTCOMES = [
    ('id = "no_answer"', 'id = "self_care"', "outcomes.toml: outcomes[3].id: 'self_care' is listed twice"),
    ('id = "no_answer"', 'id = "No answer"', "outcomes.toml: outcomes[3].id: must be 1-24 lowercase letters"),
    ('id = "no_answer"', 'id = "voicemail"', "outcomes.toml: outcomes[3].id: messages.toml has no label"),
    ('id = "no_answer"', "id = 3", "outcomes.toml: outcomes[3].id: expected text"),
]


@pytest.mark.parametrize("old, new, expected", BROKEN_OUTCOMES)
def test_a_broken_outcome_is_refused_naming_file_and_key(tmp_path, old, new, expected):
    assert expected in edited_guidance_error(tmp_path, "outcomes.toml", old, new)


def test_an_outcome_label_is_in_every_language(tmp_path):
    error = edited_guidance_error(tmp_path, "messages.toml", 'alert_outcome_no_answer = "No contesta"\n', "")
    assert "messages.toml: es.alert_outcome_no_answer: missing" in error


@pytest.mark.parametrize(
    ("after_alert", "first"),
    [(False, "soreness"), (True, "clinic_contact")],
)
def test_the_question_after_an_alert_is_asked_first_and_only_then(guidance, after_alert, first):
    for hour in guidance.checkin_hours:
        asked = [q.id for q in guidance.questions_at(hour, after_alert=after_alert)]
        assert asked[0] == first and ("clinic_contact" in asked) == after_alert


ALERT = {
    "id": 7,
    "created_at": START - 60,
    "acknowledged_by": 101,
    "acknowledged_at": START,
    "closed_by": 102,
    "closed_at": START + 600,
    "outcome": "seen_in_clinic",
    "note": "Seen.\nNo pneumothorax",
}


@pytest.mark.parametrize(
    ("status", "tail", "buttons"),
    [
        (
            AlertStatus.ACKNOWLEDGED,
            "Acknowledged by Dana Reyes at 10:00 GMT.",
            ["sc:7:self_care", "sc:7:seen_in_clinic", "sc:7:emergency_care", "sc:7:no_answer", "sm:7:"],
        ),
        (
            AlertStatus.CLOSED,
            "Acknowledged by Dana Reyes at 10:00 GMT.\n"
            "Closed by Lee &lt;Kim&gt; &amp; Co at 10:10 GMT: Seen in clinic.",
            ["sn:7:", "sm:7:"],
        ),
    ],
)
def test_a_taken_copy_says_who_and_offers_what_comes_next(guidance, clinic, status, tail, buttons):
    reminder = lifecycle.renotify_prefix(guidance, clinic) + "🟠 the alert"
    text, markup = lifecycle.taken_copy(guidance, clinic, reminder, {**ALERT, "status": status})
    assert text == "🟠 the alert\n\n" + tail
    assert [b["callback_data"] for row in markup["inline_keyboard"] for b in row] == buttons
    assert all(unpack(b) is not None for b in buttons)
    assert len(json.dumps(markup)) < 2000


def test_the_timeline_shows_who_took_closed_and_wrote(guidance, clinic):
    messages = [{"staff_id": 101, "text": "Call us <now>", "sent_at": START + 300}]
    events = lifecycle.timeline_events(guidance, clinic, [ALERT], messages)
    lines = [line.strip() for _, _, line in sorted(events, key=lambda e: e[:2])]  # as /patient sorts
    assert lines == [
        "2026-11-23 10:00 ✋ Dana Reyes is handling the alert",
        "2026-11-23 10:05 ✉️ Dana Reyes to the patient: “Call us &lt;now&gt;”",
        "2026-11-23 10:10 ✅ Alert closed by Lee &lt;Kim&gt; &amp; Co: Seen in clinic",
        "📝 Seen.",
        "📝 No pneumothorax",
    ]


def test_staff_messages_and_prompts_are_erased_with_the_patient(services):
    session, assessment, now = follow_up(services)
    store = services.store
    alert = store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    store.add_staff_message(session, alert, 101, "Please call us", now)
    store.add_staff_prompt(session, alert, 101, 101, "message", now)
    store.delete_patient(store.session(session)["patient_id"], now)
    assert store.db["staff_messages"].count == 0 and store.db["staff_prompts"].count == 0


def test_a_closed_alert_exports_its_outcome_and_note_to_fhir(clinic):
    from bot.clinic.fhir import alert_resource

    alert = {**ALERT, "status": AlertStatus.CLOSED, "bucket": "contact_practitioner"}
    patient = {"resourceType": "Patient", "id": "1"}
    resource = alert_resource(clinic, patient, {"practitioner_id": 101}, alert, None, None)
    acknowledged, closed = resource["note"]
    assert acknowledged["text"] == "Acknowledged"
    assert closed["text"] == "Closed: seen_in_clinic\nSeen.\nNo pneumothorax"
    assert closed["authorReference"]["identifier"]["value"] == "102"
