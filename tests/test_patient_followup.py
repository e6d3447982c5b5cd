"""The follow-up's rules without Telegram: the plan, triage and alerts against a real Store, and
the pure rendering of check-ins and outcomes."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.followup.plan import plan
from bot.guidance.config import load_config
from bot.render import checkin as cr
from bot.render.html import Button, unpack
from bot.services import checkins
from bot.services.checkins import render_checkin
from bot.services.commands import status, unreachable
from bot.services.consent import accept
from bot.services.consent import consent as ask_consent
from bot.services.session import current, outcome
from bot.services.shared import Services
from bot.services.words import assess_words, take_words
from bot.store.database import Store
from bot.store.rows import DueCheckin
from bot.triage.engine import Context, Reply, triage

from .harness import FakeClock, write_config

LONDON = ZoneInfo("Europe/London")
ANA = 700_000_001


@pytest.fixture
def services(tmp_path, guidance):
    def make(**clinic):
        config = load_config(
            write_config(
                tmp_path,
                "http://127.0.0.1:9/bot",
                [(1, "Dana", "practitioner"), (2, "Sam", "admin")],
                **clinic,
            )
        )
        store = Store(tmp_path / "db.sqlite3")
        made.append(store)
        return Services(config, store, {"harbour": guidance}, FakeClock())

    made: list[Store] = []
    yield make
    for store in made:
        store.close()


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


def local(ts: float) -> str:
    return datetime.fromtimestamp(ts, LONDON).strftime("%a %H:%M")


def enrolled(services, telegram_id=ANA, areas=("calf",), treated_at=None, practitioner=1):
    now = services.now()
    token = f"tok{telegram_id}"
    services.store.add_enrol_token(
        token,
        "harbour",
        list(areas),
        "moderate",
        [],
        True,
        now if treated_at is None else treated_at,
        practitioner,
        now,
        now + 86400,
    )
    assert accept(services, token, telegram_id, "Ana", "en") is not None
    return current(services, telegram_id)


def free_text(services, telegram_id, text):
    """What the bot does with words: keep them, then answer them; None when not enrolled."""
    words = take_words(services, telegram_id, text)
    return None if words is None else outcome(services, words.followup, assess_words(services, words))


# ---- the plan

PLANS = [
    # (clinic settings, treated at, consent at, expected (hours, local due) rows)
    (
        {},
        "2026-11-23T10:00",
        "2026-11-23T10:05",
        [(6, "Mon 16:00"), (24, "Tue 10:00"), (48, "Wed 10:00"), (72, "Thu 10:00")],
    ),
    # 6 h falls at 23:00, in quiet hours: moved to 08:00
    (
        {},
        "2026-11-23T17:00",
        "2026-11-23T17:05",
        [(6, "Tue 08:00"), (24, "Tue 17:00"), (48, "Wed 17:00"), (72, "Thu 17:00")],
    ),
    # 6 h (04:00) and 8 h (06:00) both move to 08:00: the 6 h is absorbed by the 8 h
    (
        {"checkins": ["6h", "8h", "24h"], "reminder_after": "1h"},
        "2026-11-23T22:00",
        "2026-11-23T22:05",
        [(8, "Tue 08:00"), (24, "Wed 08:00")],
    ),
    # a late consent: of the check-ins already due, only the latest is kept (sent at once)
    ({}, "2026-11-23T10:00", "2026-11-24T12:00", [(24, "Tue 10:00"), (48, "Wed 10:00"), (72, "Thu 10:00")]),
    # a demo clock: 3600 times faster, still nominal hours for triage
    (
        {"clock_speed": 3600, "quiet_hours": None},
        "2026-11-23T10:00",
        "2026-11-23T10:00",
        [(6, "Mon 10:00"), (24, "Mon 10:00"), (48, "Mon 10:00"), (72, "Mon 10:01")],
    ),
]


@pytest.mark.parametrize("clinic,treated,now,expected", PLANS)
def test_plan(services, clinic, treated, now, expected):
    s = services(**clinic)
    rows = plan(s.clinic("harbour"), at(treated), at(now))
    assert [(hours, local(due)) for _, hours, due in rows] == expected


def test_accept_claims_the_token_once_and_replaces_a_running_session(services):
    s = services()
    f = enrolled(s)
    assert f.session["status"] == "active" and f.lang == "en"
    assert accept(s, "tok700000001", ANA, "Ana", "en") is None  # single use
    now = s.now()
    s.store.add_enrol_token("again", "harbour", ["calf"], "light", [], False, now, None, now, now + 60)
    out = accept(s, "again", ANA, "Ana", "es-ES")
    assert out.text.startswith("Este enlace inicia un nuevo seguimiento")
    assert s.store.session(f.session["id"])["status"] == "replaced"
    s.store.add_enrol_token("late", "harbour", ["calf"], "light", [], False, now, None, now, now + 60)
    s.now.advance(61)
    assert accept(s, "late", ANA, "Ana", "en") is None  # expired


# ---- triage, alerts, outcomes


def test_free_text_is_stored_triaged_and_alerts_once_per_problem(services):
    s = services()
    enrolled(s)
    s.now.advance(3 * 3600)
    answer = free_text(s, ANA, "my calf feels numb and tingly")
    assert answer.startswith("<b>Please contact Harbour Physio today on +44 20 7946 0000.</b>")
    free_text(s, ANA, "still numb")
    assert [a["bucket"] for a in s.store.open_alerts("harbour")] == ["contact_practitioner"]
    answer = free_text(s, ANA, "now I can't breathe")
    assert answer.startswith("<b>Call 999 now")
    assert [a["bucket"] for a in s.store.open_alerts("harbour")] == ["contact_practitioner", "emergency"]
    session = current(s, ANA).session
    assert [a["hours"] for a in s.store.assessments(session["id"])] == [3, 3, 3]
    assert s.store.session_answers(session["id"])[0]["value"] == "my calf feels numb and tingly"
    assert free_text(s, 12345, "hello") is None  # not enrolled


def test_unreadable_words_ask_again_but_a_practitioner_reads_them(services):
    s = services()
    enrolled(s)
    answer = free_text(s, ANA, "qwxz vbnm")
    assert answer.startswith("Sorry, I couldn't quite understand that")
    assert [a["bucket"] for a in s.store.open_alerts("harbour")] == ["contact_practitioner"]


def test_a_generic_reason_gives_way_to_a_specific_one(guidance):
    context = Context(hours=6, areas=("calf",))
    both = triage(Reply(answers={"warning_signs": ["numbness"]}), context, guidance)
    assert {"C10", "C15"} <= set(both.rules)
    assert cr.reasons(guidance, both) == ["Numbness, tingling or pins and needles"]
    c15 = next(r for r in both.fired if r.id == "C15")
    alone = replace(both, fired=(c15,))
    assert cr.reasons(guidance, alone) == ["A warning sign was mentioned"]


def test_outcomes_put_the_right_thing_first(services, guidance):
    clinic = services().clinic("harbour")
    context = Context(hours=6, areas=("calf",), activities=("running",))
    emergency = cr.outcome(guidance, clinic, "en", triage(Reply("chest pain"), context, guidance))
    assert emergency.startswith("<b>Call 999 now")
    normal = cr.outcome(guidance, clinic, "en", triage(Reply("can I go running? 2/10"), context, guidance))
    bullets = normal.split("• ")[1:]
    assert 1 <= len(bullets) <= guidance.tips_per_message and bullets[0].startswith("<b>Not yet")
    spanish = cr.outcome(guidance, clinic, "es", triage(Reply("2/10"), context, guidance))
    assert spanish.startswith("Gracias.")


@pytest.mark.parametrize(
    "lang, words, starts, present, absent",
    [
        (
            "en",
            "I'm scared",
            "I'm sorry you're feeling like this",
            "+44 20 7946 0000",
            "couldn't",
        ),  # U3's reply
        ("es", "me encuentro fatal", "Siento que te encuentres así", "llama ya al 999", "no he entendido"),
        ("en", "help", "I'm sorry you're feeling like this", "call 999 now", "couldn't"),
        # C17's note under the contact outcome; a named sign keeps the outcome that lists it, beside U3
        (
            "en",
            "strange feeling in my chest",
            "<b>Please contact Harbour Physio",
            "Keep an eye on your breathing today",
            "I'm sorry",
        ),
        (
            "en",
            "my chest feels a bit off",
            "<b>Please contact Harbour Physio",
            "Keep an eye on your breathing today",
            "I'm sorry",
        ),
        (
            "en",
            "qwxz vbnm",
            "Sorry, I couldn't quite understand that",
            "call 999 now",
            "expected",
        ),  # U1's reply
        (
            "en",
            "breathing feels strange",
            "<b>Call 999 now",
            "I've alerted Harbour Physio",
            "Keep an eye on your breathing today",
        ),
        (
            "en",
            "my fingers are numb",
            "<b>Please contact Harbour Physio",
            "call 999 straight away",
            "If your breathing",
        ),
    ],
)
def test_the_rules_reply_and_note_choose_the_words(services, guidance, lang, words, starts, present, absent):
    clinic = services().clinic("harbour")
    text = cr.outcome(
        guidance, clinic, lang, triage(Reply(words), Context(hours=6, areas=("calf",)), guidance)
    )
    assert text.startswith(starts) and present in text and absent not in text


# ---- check-ins


@pytest.mark.parametrize(
    "elapsed,en,es",
    [
        (5.6, "about 6 hours", "unas 6 horas"),
        (15.5, "about 16 hours", "unas 16 horas"),  # a 6-h check-in held back to 08:00
        (26, "about 26 hours", "unas 26 horas"),
        (49, "about 49 hours", "unas 49 horas"),
    ],
)
def test_a_check_in_says_the_hours_really_passed(guidance, elapsed, en, es):
    asked = guidance.questions_at(6)
    assert cr.elapsed_label(elapsed) == en.split()[1] and cr.elapsed_label(0.2) == "1"  # never "0"
    english, spanish = [cr.checkin_text(guidance, g, "Ana", elapsed, asked, {}, 0) for g in ("en", "es")]
    assert f"it's {en} since your session" in english and f"han pasado {es} desde tu sesión" in spanish


def test_render_checkin_only_for_an_active_follow_up(services):
    s = services()
    f = enrolled(s)
    first = DueCheckin.from_row(s.store.checkins(f.session["id"])[0])
    s.now.advance(first.due_at - s.now())  # rendered when due, as the tick does
    message = render_checkin(s, first)
    chat, text, markup = message.chat_id, message.text, message.markup
    assert chat == ANA and text.startswith("Hi Ana, it's about 6 hours") and "How sore" in text
    datas = [unpack(b["callback_data"]) for row in markup["inline_keyboard"] for b in row]
    assert [d.value for d in datas] == [f"0.{v}" for v in range(11)]
    assert {(d.action, d.row_id) for d in datas} == {("pa", first.id)}
    s.store.pause_session(f.session["id"])
    assert render_checkin(s, first) is None
    s.store.resume_session(f.session["id"], s.now())
    s.store.stop_session(f.session["id"])
    assert render_checkin(s, first) is None


def send_first(s, f):
    checkin = DueCheckin.from_row(s.store.checkins(f.session["id"])[0])
    s.now.advance(6 * 3600)
    message = render_checkin(s, checkin)
    s.store.queue_checkin(checkin.id, message.chat_id, message.text, message.markup, s.now())
    return checkin.id


def test_a_check_in_answered_with_buttons(services):
    s = services()
    f = enrolled(s)
    cid = send_first(s, f)

    def press(action, value):
        return checkins.press(s, ANA, Button(action, cid, value), 55)

    [edit] = press("pa", "0.3")
    assert (
        edit.edit == 55
        and "Any bruising" in edit.text
        and "✓ How sore is the treated area right now? <b>3/10</b>" in edit.text
    )
    assert press("pa", "0.4") is None  # that question is answered
    press("pa", "1.0")
    [edit] = press("pa", "2.0")
    assert "Do you have any of these" in edit.text
    assert "No, none of these" in str(edit.markup) and "Done" not in str(edit.markup)
    [toggled] = press("pt", "3.11.2048")  # "None of these" ticked on a keyboard from before one-tap
    assert "No, none of these" in str(toggled.markup)
    summary, outcome = press("pk", "3.2048")
    assert summary.edit == 55 and summary.markup is None and "None of these" in summary.text
    assert outcome.text.startswith("Thank you. From what you've told me")
    assert s.store.checkin_answers(cid) == {
        "soreness": 3,
        "bruising": "none",
        "fatigue": "none",
        "warning_signs": ["none"],
    }
    assert s.store.checkin(cid)["status"] == "answered"
    assert press("pk", "3.2048") is None  # closed


def test_done_with_nothing_ticked_means_none(services):
    s = services()
    f = enrolled(s)
    cid = send_first(s, f)
    for value in ("0.2", "1.0", "2.0"):
        checkins.press(s, ANA, Button("pa", cid, value), 1)
    checkins.press(s, ANA, Button("pk", cid, "3.0"), 1)
    assert s.store.checkin_answers(cid)["warning_signs"] == ["none"]


def test_presses_that_are_not_the_patients_own_change_nothing(services):
    s = services()
    f = enrolled(s)
    enrolled(s, telegram_id=42)
    cid = send_first(s, f)
    refused = [
        (42, Button("pa", cid, "0.3")),  # someone else's check-in
        (ANA, Button("pa", cid + 4, "0.3")),  # another session's check-in
        (ANA, Button("pa", cid + 1, "0.3")),  # a check-in not sent yet
        (ANA, Button("pa", cid, "0")),  # malformed value
        (ANA, Button("pa", cid, "0.3.1")),
        (ANA, Button("pk", cid, "0.1")),  # "done" on a scale
        (ANA, Button("pt", cid, "0.1.99999")),
    ]
    for user, button in refused:
        assert checkins.press(s, user, button, 1) is None, button
    assert s.store.checkin_answers(cid) == {}


def test_toggle_none_clears_the_others_and_is_cleared_by_them(guidance):
    checklist = next(q for q in guidance.questions if q.kind == "checklist")
    none = [o.id for o in checklist.options].index("none")
    mask = cr.toggle(checklist, 0, 3)  # fever
    mask = cr.toggle(checklist, mask, 5)  # numbness
    assert cr.chosen(checklist, mask) == ["fever", "numbness"]
    assert cr.chosen(checklist, cr.toggle(checklist, mask, none)) == ["none"]
    assert cr.chosen(checklist, cr.toggle(checklist, 1 << none, 0)) == ["chest"]
    assert cr.toggle(checklist, mask, 3) == 1 << 5  # pressed again: off


@pytest.mark.parametrize(
    "code,expected", [("es", "es"), ("es-ES", "es"), ("ES", "es"), ("ja", "en"), (None, "en"), ("", "en")]
)
def test_language(guidance, code, expected):
    assert cr.language_for(guidance, code) == expected


@pytest.mark.parametrize(
    "when,expected",
    [
        ("2026-11-23T16:00", "today at 16:00"),
        ("2026-11-24T08:00", "tomorrow at 08:00"),
        ("2026-11-26T10:00", "on 26/11 at 10:00"),
    ],
)
def test_local_time(guidance, when, expected):
    assert cr.local_time(guidance, "en", at(when), LONDON, at("2026-11-23T10:00")) == expected


def test_every_button_fits_telegram(services, guidance):
    s = services()
    for index, question in enumerate(guidance.questions):
        for lang in ("en", "es"):
            markup = cr.question_keyboard(
                guidance, lang, 10**11, index, question, (1 << len(question.options)) - 1
            )
            for row in markup["inline_keyboard"]:
                for button in row:
                    assert unpack(button["callback_data"]) is not None
                    assert len(button["text"]) <= 30
    consent = ask_consent(s, {"token": "x" * 32, "clinic_id": "harbour"}, "en")
    assert unpack(consent.markup["inline_keyboard"][0][0]["callback_data"]).value == "x" * 32


def test_status_after_stop_and_unreachable_tell_the_clinic_once(services):
    s = services()
    f = enrolled(s)
    out = status(s, f)
    assert "<b>Next check-in:</b> today at 16:00" in out.text and "Nothing yet." in out.text
    told = unreachable(s, ANA)
    assert [(o.chat_id, o.kind) for o in told] == [(1, "staff")]
    assert s.store.patient_by_telegram(ANA)["status"] == "unreachable"
    assert unreachable(s, ANA) == []
    assert unreachable(s, 1) == []  # a staff chat is no patient
