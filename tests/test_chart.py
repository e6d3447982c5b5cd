"""The soreness chart: a valid small PNG, drawn from course.toml, attached to a practitioner
alert's first round and sent after /patient."""

import io
import shutil
import tomllib

import pytest
from matplotlib.image import imread

from bot.clinic import chart
from bot.guidance.loader import load_guidance
from bot.guidance.toml_doc import GuidanceError
from bot.services import alerts
from bot.store.rows import DueAlert

from . import test_staff_alert_rounds as rounds
from .conftest import SHIPPED_GUIDANCE
from .test_staff_alert_rounds import GROUP, P1, follow_up
from .test_staff_telegram import open_alert

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
make_services = rounds.make_services  # the fixture: Services on a temporary store
POINTS = [(6.0, 3), (24.0, 5), (48.0, 7), (72.0, 4)]
# A course unlike the shipped one, so a value that matches can only have come from the file.
OTHER_COURSE = """
source = "test course"
severe = 8.5
band = [
    { hours = 0, low = 0.5, high = 1.5 },
    { hours = 12, low = 2, high = 7 },
    { hours = 80, low = 1, high = 2.5 },
]
[labels.en]
title = "pain"
hours = "h"
score = "score"
patient = "You"
expected = "Usual"
severe = "Bad"
[labels.es]
patient = "Usted"
"""


def guidance_with(tmp_path, course_toml=None, edit=None):
    """A copy of the shipped guidance with course.toml replaced or edited (old, new)."""
    folder = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, folder)
    path = folder / "course.toml"
    if course_toml is not None:
        path.write_text(course_toml, encoding="utf-8")
    if edit is not None:
        text = path.read_text(encoding="utf-8")
        assert edit[0] in text, "the example no longer matches course.toml"
        path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    return load_guidance(folder), path


def drawn(figure):
    """What the figure shows: the patient's line, the band's vertices, the severe line, the axes."""
    axes = figure.axes[0]
    lines = {line.get_gid(): line for line in axes.lines}
    band = next(c for c in axes.collections if c.get_gid() == "expected")
    return {
        "patient": list(zip(lines["patient"].get_xdata(), lines["patient"].get_ydata(), strict=True)),
        "severe": set(lines["severe"].get_ydata()),
        "band": {tuple(v) for path in band.get_paths() for v in path.vertices},
        "xticks": list(axes.get_xticks()),
        "ylim": axes.get_ylim(),
        "legend": [t.get_text() for t in axes.get_legend().get_texts()],
    }


# ---- the picture


def test_the_chart_is_a_small_valid_png(guidance):
    png = chart.soreness_chart(POINTS, guidance.course, "Ana · soreness", (0, *guidance.checkin_hours))
    assert png.startswith(PNG_SIGNATURE)
    assert 5_000 < len(png) < 60_000
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (350, 600)  # 6 x 3.5 in at 100 dpi


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(6.0, 3)],
        POINTS,
        [(48.0, 2), (6.0, 9), (24.0, 10)],  # out of order: drawn in time order
        [(0.5, 0), (30.5, 6), (79.0, 1)],  # free-text scores between check-ins, one after 72 h
    ],
)
def test_band_severe_line_and_texts_come_from_course_toml(tmp_path, points):
    guidance, path = guidance_with(tmp_path, OTHER_COURSE)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    png = chart.soreness_chart(points, guidance.course, "Ana · pain")
    if not points:
        assert png is None
        return
    assert png.startswith(PNG_SIGNATURE)
    shown = drawn(chart.chart_figure(points, guidance.course, "Ana · pain", (0, 6, 24, 48, 72), "es"))
    assert shown["patient"] == sorted(points)
    assert shown["severe"] == {raw["severe"]}
    for point in raw["band"]:
        assert (point["hours"], point["low"]) in shown["band"] and (point["hours"], point["high"]) in shown[
            "band"
        ]
    assert shown["xticks"] == [0, 6, 24, 48, 72] and shown["ylim"] == (0, 10)
    assert shown["legend"] == ["Usual", "Bad (≥ 8.5)", "Usted"]  # Spanish where given, else English


def test_ticks_default_to_the_course_hours_and_names_are_not_mathtext(guidance):
    figure = chart.chart_figure([(24.0, 5)], guidance.course, "$ally_ · soreness")
    assert drawn(figure)["xticks"] == [h for h, _, _ in guidance.course.band]
    assert chart.soreness_chart([(24.0, 5)], guidance.course, "$ally_ {x} · 山田").startswith(PNG_SIGNATURE)


def test_points_are_the_scored_assessments():
    rows = [
        {"hours": 24, "soreness": 5},
        {"hours": 6, "soreness": 3},
        {"hours": 48, "soreness": None},
        {"hours": None, "soreness": 2},
    ]
    assert chart.chart_points(rows) == [(6.0, 3), (24.0, 5)]


def test_the_shipped_course_follows_the_clinical_spec(guidance):
    """Peaks around 24 h, minor by 72 h (<= 3), normal early (<= 6), severe from 7."""
    band = {h: (low, high) for h, low, high in guidance.course.band}
    assert guidance.course.severe == 7
    assert max(band, key=lambda h: band[h][1]) == 24
    assert band[72][1] <= 3 and all(high <= 6 for _, high in band.values())
    assert guidance.course.source.strip()


# ---- course.toml errors name the file and the key

BROKEN_COURSES = [
    ("severe = 7", 'severe = 7\ncolour = "red"', "course.toml: colour: unknown key"),
    ("severe = 7", "severe = 12", "course.toml: severe: must be a score above 0 and at most 10"),
    ("severe = 7", 'severe = "7"', "course.toml: severe: expected a number, got text '7'"),
    (
        "{ hours = 24, low = 2, high = 6 }",
        "{ hours = 24, low = 6, high = 2 }",
        "course.toml: band[2].high: must be at least low",
    ),
    (
        "{ hours = 24, low = 2, high = 6 }",
        "{ hours = 5, low = 2, high = 6 }",
        "course.toml: band[2].hours: must be 0 or more and above",
    ),
    (
        "{ hours = 24, low = 2, high = 6 }",
        "{ hours = 24, low = 2, high = 11 }",
        "course.toml: band[2]: low and high must be scores",
    ),
    ("{ hours = 24, low = 2, high = 6 }", "{ hours = 24, low = 2 }", "course.toml: band[2].high: missing"),
    (
        "{ hours = 72, low = 0, high = 3 },",
        "",
        "course.toml: band: needs at least two points, reaching the last check-in (72 h)",
    ),
    ('score = "Soreness (0-10)"\n', "", "course.toml: labels.en.score: missing"),
    ('title = "dolor"', 'titel = "dolor"', "course.toml: labels.es.titel: unknown key"),
    ('patient = "Reported"', 'patient = ""', "course.toml: labels.en.patient: must not be empty"),
    ("band = [", "band = [[", "course.toml: not valid TOML"),
]


@pytest.mark.parametrize("old, new, expected", BROKEN_COURSES)
def test_a_broken_course_is_refused_naming_file_and_key(tmp_path, old, new, expected):
    with pytest.raises(GuidanceError) as raised:
        guidance_with(tmp_path, edit=(old, new))
    assert expected in str(raised.value)


def test_an_unsourced_course_is_refused(tmp_path):
    with pytest.raises(GuidanceError, match="course.toml: source: the expected course names its source"):
        guidance_with(tmp_path, OTHER_COURSE.replace('source = "test course"', 'source = "  "'))


def test_a_missing_course_is_named(tmp_path):
    folder = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, folder)
    (folder / "course.toml").unlink()
    with pytest.raises(GuidanceError, match="course.toml: file missing"):
        load_guidance(folder)


# ---- alerts: round 0 only, to the same chats, through the outbox


def chart_rows(services):
    return [
        dict(r)
        for r in services.store.db.query(
            "SELECT chat_id, text, photo, priority, ref_id FROM outbox WHERE kind = 'alert_chart' ORDER BY id"
        )
    ]


async def test_the_chart_follows_round_0_of_an_alert_to_the_same_chats(make_services):
    services = make_services(alert_chat_id=GROUP)
    session, assessment, _ = follow_up(services)
    alert_id = services.store.add_alert(
        session, assessment, "harbour", "contact_practitioner", services.now()
    )
    alert = DueAlert.from_row(services.store.alert(alert_id))
    messages, _ = alerts.alert_round(services, alert)
    assert await alerts.send_chart(services, alert, [m.chat_id for m in messages]) == 2
    rows = chart_rows(services)
    assert [r["chat_id"] for r in rows] == [P1, GROUP]
    assert all(r["text"] == "Ana · soreness" and r["photo"].startswith(PNG_SIGNATURE) for r in rows)
    assert {(r["priority"], r["ref_id"]) for r in rows} == {
        (1, alert_id)
    }  # after the alert texts (priority 0)

    reminder = alert._replace(notify_count=1)
    assert await alerts.send_chart(services, reminder, [P1]) == 0
    assert len(chart_rows(services)) == 2


async def test_no_chart_without_a_score_and_a_name_is_escaped(make_services):
    services = make_services()
    session, assessment, _ = follow_up(services, first_name="<Zoë> & co")
    services.store.db.execute("UPDATE assessments SET soreness = NULL")
    services.store.db.conn.commit()
    alert_id = services.store.add_alert(session, assessment, "harbour", "emergency", services.now())
    alert = DueAlert.from_row(services.store.alert(alert_id))
    assert await alerts.send_chart(services, alert, [P1]) == 0
    services.store.db.execute("UPDATE assessments SET soreness = 4 WHERE id = ?", [assessment])
    services.store.db.conn.commit()
    assert await alerts.send_chart(services, alert, [P1]) == 1
    assert chart_rows(services)[0]["text"] == "&lt;Zoë&gt; &amp; co · soreness"


# ---- in Telegram


async def test_staff_get_the_chart_after_the_patient_timeline(make_bot):
    h = await make_bot()
    emu, sam = h.emu, h.admin
    _, patient = await open_alert(h, patient_name="Ana")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    await emu.send_text(sam, f"/patient {patient_id}")
    timeline = await emu.wait_for_message(sam)
    assert timeline.text.startswith("Patient\n") and not timeline.photo
    picture = await emu.wait_for_message(sam)
    assert picture.photo and picture.text == "Ana · soreness"
    assert picture.photo.data.startswith(PNG_SIGNATURE) and picture.photo.size < 60_000


async def test_no_chart_for_a_patient_without_scores(make_bot):
    h = await make_bot()
    _, patient = await open_alert(h, patient_name="Bo")
    h.store.db.execute("UPDATE assessments SET soreness = NULL")
    h.store.db.conn.commit()
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    await h.emu.send_text(h.admin, f"/patient {patient_id}")
    assert (await h.emu.wait_for_message(h.admin)).text.startswith("Patient\n")
    await h.settle()
    assert [m.photo for m in h.emu.messages_to(h.admin)] == [None]


async def test_an_alert_chart_reaches_the_practitioner_after_the_alert(make_bot):
    """What delivery.tick does once it calls `alerts.send_chart` after queuing a round."""
    h = await make_bot()
    alert_id, _ = await open_alert(h)
    alert = DueAlert.from_row(h.store.alert(alert_id))
    messages, next_at = alerts.alert_round(h.services, alert)
    rows = [(m.chat_id, m.text, m.markup) for m in messages]
    assert h.store.queue_alert_round(alert_id, 0, next_at, rows, h.clock())
    await alerts.send_chart(h.services, alert, [m.chat_id for m in messages])
    await h.tick()
    text, picture = await h.emu.wait_for_message(h.practitioner), await h.emu.wait_for_message(h.practitioner)
    assert text.text.startswith("🟠 Needs review today · Ana #") and not text.photo
    assert picture.photo and picture.text == "Ana · soreness"
