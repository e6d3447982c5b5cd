"""Alert rounds: who is told in each round, when the next comes, and what the alert says."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clinic.enrolment import create_enrolment
from bot.emulator.html import parse_html
from bot.followup.rounds import round_recipients
from bot.guidance.config import load_config
from bot.render.html import unpack
from bot.services.alerts import alert_round
from bot.services.shared import Services
from bot.store.database import Store
from bot.store.rows import DueAlert

from .harness import START, FakeClock, write_config

P1, P2, ADMIN, GROUP, PATIENT = 101, 102, 201, -900, 700_001
OUTCOMES = ("self_care", "seen_in_clinic", "emergency_care", "no_answer")
STAFF = [
    (P1, "Dana Reyes", "practitioner"),
    (P2, "Lee <Kim> & Co", "practitioner"),
    (ADMIN, "Sam Okafor", "admin"),
]


@pytest.fixture
def make_services(tmp_path, guidance):
    stores = []

    def make(staff=STAFF, **clinic):
        folder = tmp_path / f"c{len(stores)}"
        folder.mkdir()
        config = load_config(write_config(folder, "http://127.0.0.1:9/bot", staff, **clinic))
        store = Store(folder / "db.sqlite3")
        stores.append(store)
        return Services(config, store, {"harbour": guidance}, FakeClock())

    yield make
    for store in stores:
        store.close()


def follow_up(
    services,
    practitioner=P1,
    clock_speed=1.0,
    first_name="Ana",
    treated_at=START,
    telegram_id=PATIENT,
    patient_ref=None,
):
    """A patient in follow-up who has answered three check-ins, the last one worrying."""
    store, clinic = services.store, services.config.clinics[0]
    enrolment = create_enrolment(
        store,
        clinic,
        ["upper back", "calf"],
        "moderate",
        ["running"],
        True,
        treated_at,
        practitioner,
        treated_at,
        guidance=services.guidance("harbour"),
        patient_ref=patient_ref,
    )
    patient = store.save_patient(telegram_id, first_name, "en", clinic.id, treated_at)
    hours = (6, 24, 48, 72)
    session = store.start_session(
        patient,
        store.enrol_token(enrolment.token),
        clock_speed,
        [(i, h, treated_at + h * 3600 / clock_speed) for i, h in enumerate(hours)],
        treated_at,
    )
    checkins = store.checkins(session)
    assessment = None
    for checkin, soreness, bucket in zip(
        checkins[:3], (3, 5, 7), ("normal", "normal", "contact_practitioner"), strict=False
    ):
        at = checkin["due_at"] + 60
        store.db["checkins"].update(
            checkin["id"], {"status": "answered", "sent_at": checkin["due_at"], "answered_at": at}
        )
        store.add_answer(session, checkin["id"], "soreness", soreness, at)
        if bucket == "normal":
            assessment = store.add_assessment(
                session, checkin["id"], checkin["hours"], bucket, [], [], soreness, None, at
            )
            continue
        store.add_answer(session, checkin["id"], "bruising", "small", at)
        store.add_answer(session, checkin["id"], "warning_signs", ["numbness", "swelling"], at)
        store.add_answer(session, checkin["id"], "text", "my <b>fingers</b> tingle & feel\nodd", at)
        assessment = store.add_assessment(
            session,
            checkin["id"],
            checkin["hours"],
            bucket,
            ["C10", "N2"],
            ["Numbness or tingling in the arm"],
            soreness,
            "rising",
            at,
        )
    return session, assessment, checkins[2]["due_at"] + 60


def deliver_due(services):
    """What a delivery tick does with alerts: each due round queued in the outbox."""
    for alert in services.store.due_alerts(services.now()):
        messages, next_at = alert_round(services, alert)
        rows = [(m.chat_id, m.text, m.markup) for m in messages]
        services.store.queue_alert_round(alert.id, alert.notify_count, next_at, rows, services.now())


def queued(services):
    rows = services.store.db.query(
        "SELECT chat_id, text, markup, due_at FROM outbox WHERE kind = 'alert' ORDER BY id"
    )
    return [dict(row) for row in rows]


# ---- who is told

ROUNDS = [
    # practitioner of the session, alert chat, recipients of rounds 0, 1, 2, ...
    (P2, None, [[P2], [P1], [ADMIN], [P1], [P2], [ADMIN], [P1]]),
    (P1, GROUP, [[P1, GROUP], [P2, GROUP], [ADMIN, GROUP], [P1, GROUP], [P2, GROUP]]),
    (None, None, [[P1, P2], [ADMIN], [P1], [P2], [ADMIN]]),
    (999, GROUP, [[P1, P2, GROUP], [ADMIN, GROUP], [P1, GROUP]]),  # no longer staff: as if none
]


@pytest.mark.parametrize("practitioner, group, expected", ROUNDS)
def test_each_round_goes_to_the_next_staff_member_and_the_alert_chat(
    make_services, practitioner, group, expected
):
    clinic = make_services(alert_chat_id=group).config.clinics[0]
    assert [round_recipients(clinic, practitioner, n) for n in range(len(expected))] == expected


def test_a_clinic_without_practitioners_tells_all_its_staff_first(make_services):
    clinic = make_services(staff=[(ADMIN, "Sam", "admin"), (P1, "Dana", "admin")]).config.clinics[0]
    assert [round_recipients(clinic, None, n) for n in range(4)] == [[ADMIN, P1], [ADMIN], [P1], [ADMIN]]


def test_a_clinic_of_one_keeps_reminding_that_one(make_services):
    clinic = make_services(staff=[(P1, "Dana", "practitioner")]).config.clinics[0]
    assert [round_recipients(clinic, P1, n) for n in range(3)] == [[P1], [P1], [P1]]


# ---- when


def test_unacknowledged_alerts_escalate_every_interval_until_acknowledged(make_services):
    services = make_services(alert_renotify_after="30m")
    session, assessment, now = follow_up(services, practitioner=P2)
    services.now.time = now
    alert = services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    assert [r["chat_id"] for r in queued(services)] == [P2]
    assert services.store.alert(alert)["next_notify_at"] == now + 1800
    services.now.advance(1799)
    deliver_due(services)
    assert len(queued(services)) == 1
    services.now.advance(1)
    deliver_due(services)
    deliver_due(services)  # a second tick at the same moment queues nothing more
    assert [r["chat_id"] for r in queued(services)] == [P2, P1]
    services.now.advance(1800)
    deliver_due(services)
    assert [r["chat_id"] for r in queued(services)] == [P2, P1, ADMIN]
    assert services.store.acknowledge_alert(alert, ADMIN, services.now())
    services.now.advance(3600)
    deliver_due(services)
    assert len(queued(services)) == 3


def test_reminders_say_so_and_the_first_round_does_not(make_services):
    services = make_services()
    session, assessment, now = follow_up(services)
    services.now.time = now
    services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    services.now.advance(1800)
    deliver_due(services)
    first, second = queued(services)
    assert not first["text"].startswith("<b>Reminder")
    # a reminder says how long ago the patient wrote, as of now
    assert second["text"] == "<b>Reminder: not acknowledged yet.</b>\n\n" + first["text"].replace(
        "(just now)", "(30 min ago)"
    )


def test_the_interval_follows_the_sessions_demo_clock(make_services):
    services = make_services()
    session, assessment, now = follow_up(services, clock_speed=3600)
    services.now.time = now
    alert = services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    _, next_at = alert_round(services, DueAlert.from_row(services.store.alert(alert)))
    assert next_at == pytest.approx(now + 0.5)


def test_an_emergency_at_night_goes_out_at_once(make_services):
    services = make_services(quiet_hours="21:00-08:00")
    night = datetime(2026, 11, 24, 2, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()
    session, assessment, _ = follow_up(services, treated_at=night - 49 * 3600)
    services.now.time = night
    services.store.add_alert(session, assessment, "harbour", "emergency", night)
    deliver_due(services)
    (row,) = queued(services)
    assert row["due_at"] == night and row["text"].startswith("<b>🔴 EMERGENCY</b>")


# ---- what it says


def test_the_alert_reads_in_ten_seconds(make_services):
    """Who (reference, name, number), when they wrote, how long after the session and where,
    what they said, why in plain words (no rule ids), the trend and the phone: one line each."""
    services = make_services()
    session, assessment, now = follow_up(services, first_name="Ana <Mª> & Jo", patient_ref=" A-12 <x> ")
    services.store.share_phone(session, "+447700900123")
    services.now.time = now + 12 * 60
    alert = services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    (row,) = queued(services)
    text = row["text"]
    parse_html(text)  # Telegram would accept it
    patient_id = services.store.session(session)["patient_id"]
    assert text.splitlines() == [
        f'<b>🟠 Needs review today</b> · <b>A-12 &lt;x&gt;</b> · <a href="tg://user?id={PATIENT}">'
        f"Ana &lt;Mª&gt; &amp; Jo</a> #{patient_id}",
        "🕑 Wrote 10:01 (12 min ago) · 48 h after the session · Upper back, Calf",
        "💬 “<i>my &lt;b&gt;fingers&lt;/b&gt; tingle &amp; feel odd</i>”",
        "soreness: 7/10 · bruising: Small bruise or red dots · warning signs: Numbness or tingling, "
        "Swelling, lump or heat",
        "<b>Why:</b> Numbness or tingling in the arm",
        "📈 6h 3 → 24h 5 → 48h 7 (rising)",
        "📞 +447700900123",
    ]
    assert "C10" not in text  # rule ids are for /patient's detail view
    button = json.loads(row["markup"])["inline_keyboard"][0][0]
    assert button["text"] == "I'm handling it"
    assert unpack(button["callback_data"]).action == "sa" and unpack(button["callback_data"]).row_id == alert


@pytest.mark.parametrize(
    "minutes, said",
    [
        (0, "just now"),
        (0.9, "just now"),
        (1, "1 min ago"),
        (59, "59 min ago"),
        (60, "1 h ago"),
        (150, "2.5 h ago"),
    ],
)
def test_how_long_ago_is_said_as_a_person_says_it(guidance, minutes, said):
    from bot.render.alerts import ago

    assert ago(guidance, "en", START, START + minutes * 60) == said


def test_the_alert_speaks_the_clinics_language_and_says_when_no_phone_was_shared(make_services):
    services = make_services(language="es")
    session, assessment, now = follow_up(services)
    services.now.time = now + 3 * 3600
    services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    lines = queued(services)[0]["text"].splitlines()
    assert lines[1].startswith("🕑 Escribió 10:01 (hace 3 h) · 48 h tras la sesión")
    assert lines[-1] == "📞 no compartido"


def test_a_long_free_text_is_cut_and_the_alert_fits_telegram(make_services):
    services = make_services()
    session, assessment, now = follow_up(services)
    services.store.add_answer(
        session, services.store.assessments(session)[-1]["checkin_id"], "text", "ouch & " * 2000, now
    )
    services.now.time = now
    services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    (row,) = queued(services)
    assert len(row["text"]) < 4096 - 200
    parse_html(row["text"])


def test_an_alert_for_an_erased_patient_sends_nothing(make_services):
    services = make_services()
    session, assessment, now = follow_up(services)
    services.now.time = now
    alert = services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    row = DueAlert.from_row(services.store.alert(alert))
    services.store.delete_patient(services.store.patient_by_telegram(PATIENT)["id"])
    messages, next_at = alert_round(services, row)
    assert messages == [] and next_at is None  # the alert stops: nobody left to tell about


# ---- acknowledgement


class QueueOnly:
    """Delivery that leaves every message queued: what `acknowledge` queues is in the outbox."""

    async def send(self, row_id):
        return False

    async def chat_free(self, chat_id):
        return None


async def test_the_first_acknowledgement_wins_and_every_copy_is_edited(make_services):
    from bot.services.alerts import acknowledge

    services = make_services(alert_chat_id=GROUP)
    services.delivery = QueueOnly()
    session, assessment, now = follow_up(services, practitioner=P1)
    services.now.time = now
    alert = services.store.add_alert(session, assessment, "harbour", "contact_practitioner", now)
    deliver_due(services)
    services.now.advance(1800)
    deliver_due(services)  # a reminder to P2 (and the group again)
    rows = list(services.store.db.query("SELECT id, chat_id FROM outbox WHERE kind = 'alert' ORDER BY id"))
    for message_id, row in enumerate(rows, start=50):
        services.store.outbox_sent(row["id"], message_id, services.now())
    services.now.advance(60)

    assert await acknowledge(services, alert, P2) is None
    edits = list(
        services.store.db.query(
            "SELECT chat_id, text, markup, edit_message_id FROM outbox WHERE kind = 'alert_ack' ORDER BY id"
        )
    )
    assert [(e["chat_id"], e["edit_message_id"]) for e in edits] == [
        (r["chat_id"], m) for m, r in enumerate(rows, start=50)
    ]
    note = "\n\nAcknowledged by Lee &lt;Kim&gt; &amp; Co at 10:32 GMT."
    for edit in edits:
        assert edit["text"].endswith(note)
        buttons = [b["callback_data"] for row in json.loads(edit["markup"])["inline_keyboard"] for b in row]
        assert buttons == [f"sc:{alert}:{o}" for o in OUTCOMES] + [f"sm:{alert}:"]  # close it, or write
        assert not edit["text"].startswith("<b>Reminder")  # the reminder line goes once it is handled
        parse_html(edit["text"])
    assert edits[0]["text"] == edits[-1]["text"]

    again = await acknowledge(services, alert, P1)
    assert again == "Already acknowledged by Lee &lt;Kim&gt; &amp; Co at 10:32 GMT."
    assert services.store.alert(alert)["acknowledged_by"] == P2
    assert services.store.db["outbox"].count_where("kind = 'alert_ack'") == len(rows)
