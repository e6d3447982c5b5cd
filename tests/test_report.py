"""`aftercare report`: one CSV row per check-in, free of free text, and exact summary numbers."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.__main__ import main
from bot.clinic.report import COLUMNS, build_report, csv_text, format_summary
from bot.guidance.config import load_config
from bot.store.database import Store

from .harness import START, write_config

H = 3600.0
M = 60.0
STAFF = [(7, "Dr Lee", "practitioner"), (8, "Sam", "admin")]
HOURS = (6.0, 24.0, 48.0, 72.0)
ANA_TG, BEN_TG, CAL_TG = 5550101, 5550202, 5550303  # Telegram ids
CALM = {"soreness": 4, "bruising": "none", "fatigue": "some", "warning_signs": ["none"]}


@dataclass
class FollowUp:
    """Ids of the follow-up built by `follow_up`, for the tests to check against."""

    ana: int
    ben: int
    cal: int
    ana_session: int
    ben_session: int
    ana_checkins: list[int]
    ben_checkins: list[int]
    alerts: dict[str, int]
    assessments: dict[str, int]


def _session(
    store: Store, patient: int, treated_at: float, areas: list[str], intensity: str, activities: list[str]
) -> int:
    token = {
        "clinic_id": "harbour",
        "areas": json.dumps(areas),
        "intensity": intensity,
        "activities": json.dumps(activities),
        "first_session": 1,
        "treated_at": treated_at,
        "practitioner_id": 7,
    }
    return store.start_session(
        patient, token, 1.0, [(i, h, treated_at + h * H) for i, h in enumerate(HOURS)], now=treated_at
    )


def _answer(store: Store, session: int, checkin: int, answers: dict, at: float) -> None:
    for question, value in answers.items():
        store.add_answer(session, checkin, question, value, now=at)


def _deliver(store: Store, checkin_id: int, chat_id: int, text: str, now: float) -> None:
    """A check-in queued and taken by Telegram at once, as the delivery tick would."""
    row = store.queue_checkin(checkin_id, chat_id, text, None, now=now)
    store.outbox_sent(row, 1, now)


def follow_up(store: Store, start: float = START) -> FollowUp:
    """Three patients as the bot would have left them 80 h after `start`:

    Ana (calf): 6 h calm (normal); 24 h numbness (contact, alert acknowledged after 12 min);
    48 h never answered (missed); 72 h answered in words only (normal).
    Ben (upper back, Spanish): 6 h numbness (contact, alert acknowledged after 8 min), then words
    in the same check-in that are an emergency (alert acknowledged after 3 min); 24 h calm;
    words outside any check-in (contact, alert still open); paused over the 48 h check-in
    (skipped); 72 h not yet due.
    Cal: treated 40 days earlier, stopped: outside a 30-day report."""
    ana = store.save_patient(ANA_TG, "Ana", "en", "harbour", now=start)
    ben = store.save_patient(BEN_TG, "Ben", "es", "harbour", now=start)
    cal = store.save_patient(CAL_TG, "Cal", "en", "harbour", now=start - 40 * 24 * H)
    old = _session(store, cal, start - 40 * 24 * H, ["calf"], "light", [])
    store.stop_session(old)

    sa = _session(store, ana, start, ["calf"], "moderate", ["running"])
    a = [c["id"] for c in store.checkins(sa)]
    alerts, assessments = {}, {}
    # Ana, 6 h: calm
    _deliver(store, a[0], ANA_TG, "6 h check-in", start + 6 * H)
    _answer(store, sa, a[0], CALM, start + 6 * H + 10 * M)
    assessments["ana6"] = store.add_assessment(
        sa, a[0], 6.0, "normal", [], [], 4, None, now=start + 6 * H + 10 * M
    )
    store.checkin_answered(a[0], start + 6 * H + 10 * M)
    # Ana, 24 h: numbness
    _deliver(store, a[1], ANA_TG, "24 h check-in", start + 24 * H)
    _answer(
        store,
        sa,
        a[1],
        {"soreness": 3, "bruising": "small", "fatigue": "none", "warning_signs": ["numbness"]},
        start + 24 * H + 20 * M,
    )
    assessments["ana24"] = store.add_assessment(
        sa,
        a[1],
        24.0,
        "contact_practitioner",
        ["C10"],
        ["Numbness or tingling"],
        3,
        "improving",
        now=start + 24 * H + 20 * M,
    )
    alerts["ana24"] = store.add_alert(
        sa, assessments["ana24"], "harbour", "contact_practitioner", now=start + 24 * H + 20 * M
    )
    store.checkin_answered(a[1], start + 24 * H + 20 * M)
    assert store.acknowledge_alert(alerts["ana24"], 7, now=start + 24 * H + 32 * M)
    # Ana, 48 h: silence; 72 h: words only
    _deliver(store, a[2], ANA_TG, "48 h check-in", start + 48 * H)
    store.queue_checkin(a[3], ANA_TG, "72 h check-in", None, now=start + 72 * H)
    assert store.mark_missed(start + 72 * H) == [sa]
    store.add_answer(sa, a[3], "text", "much better, about a 1 out of 10", now=start + 73 * H)
    assessments["ana72"] = store.add_assessment(
        sa, a[3], 72.0, "normal", [], [], 1, "improving", now=start + 73 * H
    )
    store.checkin_answered(a[3], start + 73 * H)

    treated = start + 1 * H
    sb = _session(store, ben, treated, ["upper_back"], "heavy", ["gym"])
    b = [c["id"] for c in store.checkins(sb)]
    # Ben, 6 h: numbness, then an emergency in words during the same check-in
    _deliver(store, b[0], BEN_TG, "6 h check-in", treated + 6 * H)
    _answer(
        store,
        sb,
        b[0],
        {"soreness": 6, "bruising": "none", "fatigue": "some", "warning_signs": ["numbness"]},
        treated + 6 * H + 2 * M,
    )
    assessments["ben6a"] = store.add_assessment(
        sb,
        b[0],
        6.0,
        "contact_practitioner",
        ["C10"],
        ["Numbness or tingling"],
        6,
        None,
        now=treated + 6 * H + 2 * M,
    )
    alerts["ben6a"] = store.add_alert(
        sb, assessments["ben6a"], "harbour", "contact_practitioner", now=treated + 6 * H + 2 * M
    )
    store.checkin_answered(b[0], treated + 6 * H + 2 * M)
    store.add_answer(sb, b[0], "text", "now I am short of breath", now=treated + 6 * H + 3 * M)
    assessments["ben6b"] = store.add_assessment(
        sb, b[0], 6.0, "emergency", ["E1"], ["Shortness of breath"], 6, None, now=treated + 6 * H + 3 * M
    )
    alerts["ben6b"] = store.add_alert(
        sb, assessments["ben6b"], "harbour", "emergency", now=treated + 6 * H + 3 * M
    )
    assert store.acknowledge_alert(alerts["ben6b"], 8, now=treated + 6 * H + 6 * M)
    assert store.acknowledge_alert(alerts["ben6a"], 7, now=treated + 6 * H + 10 * M)
    # Ben, 24 h: calm
    _deliver(store, b[1], BEN_TG, "24 h check-in", treated + 24 * H)
    _answer(
        store,
        sb,
        b[1],
        {"soreness": 2, "bruising": "none", "fatigue": "none", "warning_signs": ["none"]},
        treated + 25 * H,
    )
    assessments["ben24"] = store.add_assessment(
        sb, b[1], 24.0, "normal", [], [], 2, "improving", now=treated + 25 * H
    )
    store.checkin_answered(b[1], treated + 25 * H)
    # Ben: words outside any check-in, then a pause over the 48 h check-in
    store.add_answer(sb, None, "text", "my chest feels tight", now=treated + 30 * H)
    assessments["ben30"] = store.add_assessment(
        sb, None, 30.0, "contact_practitioner", ["C3"], ["Chest tightness"], None, None, now=treated + 30 * H
    )
    alerts["ben30"] = store.add_alert(
        sb, assessments["ben30"], "harbour", "contact_practitioner", now=treated + 30 * H
    )
    assert store.pause_session(sb)
    assert store.resume_session(sb, now=treated + 50 * H)
    return FollowUp(ana, ben, cal, sa, sb, a, b, alerts, assessments)


@pytest.fixture
def clinic_setup(tmp_path):
    config = load_config(write_config(tmp_path, "https://api.telegram.org", STAFF))
    store = Store(config.storage.database)
    data = follow_up(store)
    yield config, config.clinics[0], store, data
    store.close()


def test_one_row_per_checkin_with_local_times_buckets_and_acknowledgement(clinic_setup):
    _, clinic, store, d = clinic_setup
    report = build_report(store, clinic, timedelta(days=30), now=START + 80 * H)
    rows = [dict(r) for r in csv.DictReader(io.StringIO(csv_text(report.rows)))]
    a, b = str(d.ana_session), str(d.ben_session)
    pa, pb = str(d.ana), str(d.ben)
    expected = [
        # session, patient, treated, hour, due, sent, answered, status, bucket, alert, minutes
        (
            a,
            pa,
            "2026-11-23 10:00",
            "6",
            "2026-11-23 16:00",
            "2026-11-23 16:00",
            "2026-11-23 16:10",
            "answered",
            "normal",
            "",
            "",
        ),
        (
            a,
            pa,
            "2026-11-23 10:00",
            "24",
            "2026-11-24 10:00",
            "2026-11-24 10:00",
            "2026-11-24 10:20",
            "answered",
            "contact_practitioner",
            str(d.alerts["ana24"]),
            "12",
        ),
        (a, pa, "2026-11-23 10:00", "48", "2026-11-25 10:00", "2026-11-25 10:00", "", "missed", "", "", ""),
        (
            a,
            pa,
            "2026-11-23 10:00",
            "72",
            "2026-11-26 10:00",
            "2026-11-26 10:00",
            "2026-11-26 11:00",
            "answered",
            "normal",
            "",
            "",
        ),
        (
            b,
            pb,
            "2026-11-23 11:00",
            "6",
            "2026-11-23 17:00",
            "2026-11-23 17:00",
            "2026-11-23 17:02",
            "answered",
            "emergency",
            str(d.alerts["ben6b"]),
            "3",
        ),
        (
            b,
            pb,
            "2026-11-23 11:00",
            "24",
            "2026-11-24 11:00",
            "2026-11-24 11:00",
            "2026-11-24 12:00",
            "answered",
            "normal",
            "",
            "",
        ),
        (b, pb, "2026-11-23 11:00", "48", "2026-11-25 11:00", "", "", "skipped", "", "", ""),
        (b, pb, "2026-11-23 11:00", "72", "2026-11-26 11:00", "", "", "pending", "", "", ""),
    ]
    assert [tuple(r[c] for c in COLUMNS) for r in rows] == [(*row, "") for row in expected]  # none closed


def test_the_csv_holds_no_name_no_telegram_id_and_no_words(clinic_setup):
    _, clinic, store, _ = clinic_setup
    text = csv_text(build_report(store, clinic, timedelta(days=30), now=START + 80 * H).rows)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    for secret in (
        "Ana",
        "Ben",
        str(ANA_TG),
        str(BEN_TG),
        "breath",
        "chest",
        "much better",
        "Numbness",
        "numbness",
    ):
        assert secret not in text, secret


def test_summary_numbers(clinic_setup):
    _, clinic, store, _ = clinic_setup
    report = build_report(store, clinic, timedelta(days=30), now=START + 80 * H)
    assert report.sessions == 2  # Cal's follow-up is 40 days old
    assert dict(report.statuses) == {"answered": 5, "missed": 1, "pending": 1, "skipped": 1}
    assert [(r.hour, r.answered, r.sent) for r in report.response] == [
        (6.0, 2, 2),
        (24.0, 2, 2),
        (48.0, 0, 1),
        (72.0, 1, 1),
    ]
    assert dict(report.buckets) == {"normal": 3, "contact_practitioner": 3, "emergency": 1}
    assert (report.alerts, report.acknowledged, report.open_alerts) == (4, 3, 1)
    assert report.median_minutes_to_acknowledge == 8.0  # of 12, 8 and 3 minutes
    assert format_summary(report).splitlines() == [
        "Report for Harbour Physio (harbour): follow-ups treated 2026-10-27 18:00 to 2026-11-26 18:00 "
        "(Europe/London)",
        "Sessions: 2",
        "Check-ins: 8 (answered 5, missed 1, pending 1, skipped 1)",
        "Response rate (answered / sent) by check-in hour:",
        "  6 h: 2/2 (100%)",
        "  24 h: 2/2 (100%)",
        "  48 h: 0/1 (0%)",
        "  72 h: 1/1 (100%)",
        "Assessments by bucket: 7",
        "  normal: 3 (43%)",
        "  contact_practitioner: 3 (43%)",
        "  emergency: 1 (14%)",
        "Alerts: 4 (acknowledged 3, open 1)",
        "Median time to acknowledge: 8 min",
        "Closed alerts: 0",
    ]


@pytest.mark.parametrize(
    "since, sessions, rows, alerts, median",
    [
        (timedelta(days=30), 2, 8, 4, 8.0),
        (timedelta(hours=80), 2, 8, 4, 8.0),  # Ana treated exactly when the window opens
        (timedelta(hours=79, minutes=30), 1, 4, 3, 5.5),  # Ben only (treated 1 h after Ana): 8 and 3 min
        (timedelta(hours=78), 0, 0, 0, None),
        (timedelta(days=60), 3, 12, 4, 8.0),  # Cal's stopped follow-up: cancelled check-ins, nothing else
    ],
)
def test_the_window_counts_follow_ups_treated_within_it(clinic_setup, since, sessions, rows, alerts, median):
    _, clinic, store, _ = clinic_setup
    report = build_report(store, clinic, since, now=START + 80 * H)
    assert (report.sessions, len(report.rows), report.alerts, report.median_minutes_to_acknowledge) == (
        sessions,
        rows,
        alerts,
        median,
    )


def test_an_empty_report_says_so(clinic_setup):
    _, clinic, store, _ = clinic_setup
    summary = format_summary(build_report(store, clinic, timedelta(hours=1), now=START + 80 * H))
    assert "Sessions: 0" in summary and "  no check-ins" in summary
    assert "Median time to acknowledge: n/a" in summary


def test_the_command_writes_a_private_csv_named_after_clinic_and_date(tmp_path, monkeypatch):
    config_path = write_config(tmp_path, "https://api.telegram.org", STAFF)
    config = load_config(config_path)
    store = Store(config.storage.database)
    follow_up(store, start=time.time() - 80 * H)
    store.close()
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert (
        main(["report", "--config", str(config_path), "--clinic", "harbour", "--since", "30d"], out=out) == 0
    )
    written = list(tmp_path.glob("report-harbour-*.csv"))
    assert len(written) == 1
    assert stat.S_IMODE(os.stat(written[0]).st_mode) == 0o600
    assert len(list(csv.DictReader(written[0].open(encoding="utf-8")))) == 8
    assert "Sessions: 2" in out.getvalue() and f"CSV: {written[0].name}" in out.getvalue()

    chosen = tmp_path / "out.csv"
    assert (
        main(
            [
                "report",
                "--config",
                str(config_path),
                "--clinic",
                "harbour",
                "--since",
                "12h",
                "--csv",
                str(chosen),
            ],
            out=io.StringIO(),
        )
        == 0
    )
    assert chosen.read_text(encoding="utf-8").splitlines() == [",".join(COLUMNS)]


@pytest.mark.parametrize(
    "since, message", [("30x", "not a duration"), ("30", "has no unit"), ("0d", "is zero")]
)
def test_the_command_refuses_a_bad_duration(tmp_path, capsys, since, message):
    config_path = write_config(tmp_path, "https://api.telegram.org", STAFF)
    with pytest.raises(SystemExit) as exit_:
        main(
            ["report", "--config", str(config_path), "--clinic", "harbour", "--since", since],
            out=io.StringIO(),
        )
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_command_refuses_an_unknown_clinic_or_a_missing_database(tmp_path, capsys):
    config_path = write_config(tmp_path, "https://api.telegram.org", STAFF)
    argv = ["report", "--config", str(config_path), "--since", "30d", "--clinic"]
    assert main(argv + ["harbour"], out=io.StringIO()) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "aftercare.sqlite3").exists()
    Store(load_config(config_path).storage.database).close()
    assert main(argv + ["nowhere"], out=io.StringIO()) == 2
    assert "no clinic with id 'nowhere'" in capsys.readouterr().err
