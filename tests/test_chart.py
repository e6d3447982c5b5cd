"""The soreness chart: a valid PNG made for a phone, drawn from course.toml, attached to a
practitioner alert's first round and to an open alert that grows with a score (once per change),
and sent after /patient."""

import io
import shutil
import tomllib

import pytest
from matplotlib.image import imread
from matplotlib.transforms import Bbox

from bot.clinic import chart
from bot.guidance.loader import load_guidance
from bot.guidance.toml_doc import GuidanceError
from bot.services import alerts
from bot.store.rows import DueAlert

from . import test_staff_alert_rounds as rounds
from .conftest import SHIPPED_GUIDANCE
from .test_patient_identity import MORE_TINGLING, TINGLING
from .test_patient_journey import answer_checkin, consent, next_checkin, settled, tap, until, write
from .test_staff_alert_rounds import GROUP, P1, follow_up
from .test_staff_telegram import open_alert

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
make_services = rounds.make_services  # the fixture: Services on a temporary store
POINTS = [(6.0, 3), (24.0, 5), (48.0, 7), (72.0, 4)]
# follow_up's scores: 3, 5, then 7 (severe) at 48 h
ANA_CAPTION = "Ana · soreness\nSoreness 3 at 6 h, 7 at 48 h: severe"
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
alert_contact = "Call"
alert_emergency = "999"
[labels.es]
title = "dolor"
hours = "h"
score = "puntos"
patient = "Tú"
expected = "Lo habitual"
severe = "Fuerte"
alert_contact = "Llamar"
alert_emergency = "112"
[labels.de]
title = "Schmerz"
hours = "h"
score = "Punkte"
patient = "Du"
expected = "Üblich"
severe = "Stark"
alert_contact = "Anrufen"
alert_emergency = "112"
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
        "legend": [t.get_text() for t in figure.legends[0].get_texts()],
    }


# ---- the picture


def test_the_chart_is_a_valid_png_at_twice_the_old_size(guidance):
    png = chart.soreness_chart(POINTS, guidance.course, "Ana · soreness", (0, *guidance.checkin_hours))
    assert png.startswith(PNG_SIGNATURE)
    assert 20_000 < len(png) < 200_000
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (800, 1200)  # 6 x 4 in at 200 dpi


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
    assert shown["xticks"] == [0, 6, 24, 48, 72] and shown["ylim"] == (0, 12.5)  # 10 and room for its value
    assert shown["legend"] == ["Tú", "Lo habitual", "Fuerte (≥ 8.5)"]  # in Spanish, from [labels.es]


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
    assert all(r["text"] == ANA_CAPTION and r["photo"].startswith(PNG_SIGNATURE) for r in rows)
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
    assert chart_rows(services)[0]["text"].startswith("&lt;Zoë&gt; &amp; co · soreness\nSoreness 4 at 48 h")


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
    assert picture.photo and picture.text == ANA_CAPTION
    assert picture.photo.data.startswith(PNG_SIGNATURE) and picture.photo.size < 200_000


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
    assert picture.photo and picture.text == ANA_CAPTION


# ---- made for a phone: legend outside the data, values on their points, alerts marked


def window(artist):
    return artist.get_window_extent()


def test_the_legend_sits_below_the_data_and_never_hides_a_point(guidance):
    """The first chart's legend hid a 9/10 at 72 h; now it has the figure's bottom to itself."""
    points = [(6.0, 3), (24.0, 6), (48.0, 5), (72.0, 9)]
    figure = chart.chart_figure(points, guidance.course, "Ana · soreness", None, "en", [(72.0, "emergency")])
    figure.canvas.draw()
    axes, legend = figure.axes[0], figure.legends[0]
    assert window(legend).y1 < window(axes.xaxis.label).y0  # under the axis and its label
    assert not window(legend).overlaps(window(axes))
    assert window(legend).x0 >= 0 and window(legend).x1 <= figure.bbox.x1  # whole, not cut
    texts = [*figure.texts, *axes.texts, *legend.get_texts(), axes.xaxis.label, axes.yaxis.label]
    texts += [*axes.get_xticklabels(), *axes.get_yticklabels()]
    assert min(t.get_fontsize() for t in texts) >= 12  # points, at 200 dpi: readable a third the size


def test_each_score_is_written_by_its_point(guidance):
    points = [(6.0, 3), (24.0, 6), (30.0, 2), (48.0, 5), (72.0, 0)]
    axes = chart.chart_figure(points, guidance.course, "Ana · soreness").axes[0]
    values = [t for t in axes.texts if t.get_gid() == "value"]
    assert [(t.xy, t.get_text()) for t in values] == [((h, s), str(s)) for h, s in points]
    below = [t.get_text() for t in values if t.get_va() == "top"]
    assert below == ["3", "2"]  # under a score lower than its neighbours, off the line; never under 0


def test_alerts_are_marked_at_their_hours_and_named_in_the_legend(guidance):
    rows = [
        {"hours": 6, "soreness": 3, "bucket": "normal"},
        {"hours": 24, "soreness": 8, "bucket": "contact_practitioner"},
        {"hours": 30.5, "soreness": None, "bucket": "emergency"},  # words without a score
        {"hours": 31, "soreness": None, "bucket": None},
    ]
    alerts_ = chart.chart_alerts(rows)
    assert alerts_ == [(24.0, "contact_practitioner"), (30.5, "emergency")]
    figure = chart.chart_figure(
        chart.chart_points(rows), guidance.course, "Ana · soreness", None, "es", alerts_
    )
    lines = {line.get_gid(): line for line in figure.axes[0].lines}
    assert list(lines["alert_contact_practitioner"].get_xdata()) == [24.0, 24.0]
    assert list(lines["alert_emergency"].get_xdata()) == [30.5, 30.5]
    ring = lines["ring_contact_practitioner"]
    assert (list(ring.get_xdata()), list(ring.get_ydata())) == ([24.0], [8])  # round its score
    assert list(lines["ring_emergency"].get_xdata()) == []  # no score to ring: the line alone
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == [
        "Según el paciente",
        "Evolución esperada",
        "Intenso (≥ 7)",
        "Aviso: revisar",
        "Aviso: urgencia",
    ]
    quiet = chart.chart_figure([(6.0, 3)], guidance.course, "Ana · soreness")
    assert [t.get_text() for t in quiet.legends[0].get_texts()] == [
        "Reported",
        "Expected course",
        "Severe (≥ 7)",
    ]


# ---- the edges: late replies inside the drawing, values readable (issue 14, point 14)


def dot_boxes(figure, points, ringed=()):
    """Each point's dot (or the ring round it) as drawn, in pixels."""
    axes, px = figure.axes[0], chart.DPI / 72
    boxes = []
    for hour, score in points:
        x, y = axes.transData.transform((hour, score))
        r = (chart.RING if hour in ringed else chart.MARKER) / 2 * px
        boxes.append(Bbox.from_extents(x - r, y - r, x + r, y + r))
    return boxes


def inside(box, outer):
    return outer.x0 <= box.x0 and box.x1 <= outer.x1 and outer.y0 <= box.y0 and box.y1 <= outer.y1


@pytest.mark.parametrize("late", [72.0, 73.0, 79.0, 96.5])
def test_a_late_reply_is_drawn_inside_the_plot_with_its_ring_and_value(guidance, late):
    """A score at 73 h sat on the right frame, its ring cut off and its 10 above the plot."""
    points = [(6.0, 3), (24.0, 5), (48.0, 4), (late, 10)]
    figure = chart.chart_figure(points, guidance.course, "Ana · soreness", None, "en", [(late, "emergency")])
    figure.canvas.draw()
    axes = figure.axes[0]
    plot = window(axes)
    assert axes.get_xlim()[1] > late  # the axis runs past the last point
    ring = dot_boxes(figure, points, {late})[-1]
    assert inside(ring, plot), (ring, plot)
    values = [t for t in axes.texts if t.get_gid() == "value"]
    assert [t.get_text() for t in values] == ["3", "5", "4", "10"]
    assert all(inside(window(t), plot) for t in values)  # the 10 too: in the plot, under the title


CROWDED = [
    [(24.0, 9), (24.5, 10)],  # a check-in and words half an hour later
    [(6.0, 9), (7.0, 10), (8.0, 9), (9.0, 10)],
    [(6.0, 3), (24.0, 9), (24.5, 10), (30.0, 9), (48.0, 10), (72.0, 2)],
    [(0.2, 10), (6.0, 9), (6.5, 10), (79.0, 10)],
    [(47.0, 10), (48.0, 10), (49.0, 10), (72.0, 0), (72.5, 1)],
]


@pytest.mark.parametrize("points", CROWDED)
def test_values_of_close_scores_stay_readable(guidance, points):
    """9 and 10 close together wrote their values over each other; each value now sits in the
    plot, clear of every other value and of every dot and ring."""
    alerts_ = [(points[1][0], "emergency"), (points[-1][0], "contact_practitioner")]
    figure = chart.chart_figure(points, guidance.course, "Ana · soreness", None, "en", alerts_)
    figure.canvas.draw()
    axes = figure.axes[0]
    values = [window(t) for t in axes.texts if t.get_gid() == "value"]
    assert len(values) == len(points)
    assert all(inside(box, window(axes)) for box in values)
    for i, box in enumerate(values):
        assert not any(box.overlaps(other) for other in values[i + 1 :]), f"value {i} overlaps another"
        dots = dot_boxes(figure, points, {h for h, _ in alerts_})
        assert not any(box.overlaps(dot) for dot in dots), f"value {i} covers a dot"


# ---- the caption's one-line summary: (scores, language, summary)

SUMMARIES = [
    ([(24.0, 5)], "en", "Soreness 5 at 24 h: within the expected course"),
    ([(6.0, 7), (24.0, 5), (48.0, 3)], "en", "Soreness 7 at 6 h, 3 at 48 h: easing as expected"),
    ([(6.0, 3), (24.0, 5)], "en", "Soreness 3 at 6 h, 5 at 24 h: rising, still within the expected course"),
    ([(6.0, 4), (24.0, 4)], "en", "Soreness 4 at 6 h, 4 at 24 h: within the expected course"),
    ([(6.0, 3), (72.0, 5)], "en", "Soreness 3 at 6 h, 5 at 72 h: above the expected course"),  # band: <= 3
    (
        [(6.0, 6), (48.0, 5)],
        "en",
        "Soreness 6 at 6 h, 5 at 48 h: above the expected course",
    ),  # easing, too high
    ([(6.0, 2), (25.3, 8)], "en", "Soreness 2 at 6 h, 8 at 25.3 h: severe"),
    ([(6.0, 7), (24.0, 5), (48.0, 3)], "es", "Dolor 7 a las 6 h, 3 a las 48 h: bajando, como se espera"),
    ([(6.0, 9)], "es", "Dolor 9 a las 6 h: intenso"),
]


@pytest.mark.parametrize("points, language, expected", SUMMARIES)
def test_the_summary_says_in_one_line_where_the_scores_stand(guidance, points, language, expected):
    assert chart.summary(points, guidance.course, guidance, language) == expected


def test_the_caption_is_the_title_then_the_summary(guidance):
    rows = [{"hours": 6, "soreness": 7, "bucket": "contact_practitioner"}, {"hours": 48, "soreness": 3}]
    png, caption = chart.scores_chart(rows, guidance, "en", "Ana & Bo")
    assert caption == "Ana &amp; Bo · soreness\nSoreness 7 at 6 h, 3 at 48 h: easing as expected"
    assert imread(io.BytesIO(png), format="png").shape[:2] == (800, 1200)


# ---- once per change


async def test_a_chart_goes_to_a_chat_once_per_change(make_bot):
    """Two alerts queued in one tick drew the same chart twice; a chat now gets a chart only when
    it differs from the last one it got about the patient (a new score or a new alert)."""
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    first, _ = await open_alert(h)
    session = h.store.alert(first)["session_id"]
    # The patient's words raise an emergency before the tick: two alerts, one picture.
    worse = h.store.add_assessment(
        session, None, 49.0, "emergency", ["E1"], ["Chest pain"], None, None, h.clock()
    )
    h.store.add_alert(session, worse, "harbour", "emergency", h.clock())
    await h.tick()
    await h.settle()
    assert [bool(m.photo) for m in emu.messages_to(dana)] == [False, False, True]
    assert h.store.db["outbox"].count_where("kind = 'alert_chart'") == 1

    for alert in h.store.open_alerts("harbour"):
        h.store.acknowledge_alert(alert["id"], dana.id, h.clock())
    h.advance(3600)
    again = h.store.add_assessment(
        session, None, 50.0, "emergency", ["E1"], ["Chest pain"], None, None, h.clock()
    )
    h.store.add_alert(session, again, "harbour", "emergency", h.clock())
    await h.tick()
    await h.settle()
    pictures = [m for m in emu.messages_to(dana) if m.photo]
    assert len(emu.messages_to(dana)) == 5 and len(pictures) == 2  # a new alert mark: a new chart
    assert pictures[1].photo.data != pictures[0].photo.data


# ---- an open alert that grows with a score: the updated chart (issue 14, point 13)

NUMB_AND_SORE = "my toes have gone numb and the soreness is 5/10"


def photos_to(h, user):
    return [m for m in h.emu.messages_to(user) if m.photo]


async def test_an_alert_opened_by_words_gets_its_chart_once_it_grows_with_a_score(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    ana = emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    await write(h, ana, TINGLING)  # no score: the alert goes without a chart
    await h.tick()
    alert = await emu.wait_for_message(dana)
    await settled(h)
    assert emu.messages_to(dana) == [alert]

    h.advance(120)
    await write(h, ana, NUMB_AND_SORE)  # folded into the open alert, with a score: its chart follows
    picture = await emu.wait_for_message(dana, lambda m: m.photo)
    assert "Updated ×1" in alert.text and emu.messages_to(dana) == [alert, picture]
    assert picture.text == "Ana · soreness\nSoreness 5 at 1 h: above the expected course"

    h.advance(120)
    await write(h, ana, MORE_TINGLING)  # words without a score: the edit says it all
    await until(lambda: "Updated ×2" in alert.text)
    h.advance(120)
    await write(h, ana, "it's got worse, soreness 8/10 and the toes are still numb")
    await until(lambda: len(photos_to(h, dana)) == 2)
    assert "Updated ×3" in alert.text and len(emu.messages_to(dana)) == 3  # one chart per scored finding
    assert photos_to(h, dana)[1].text == "Ana · soreness\nSoreness 5 at 1 h, 8 at 1.1 h: severe"


async def test_a_check_in_that_grows_the_alert_with_a_severe_score_sends_the_new_chart_once(make_bot):
    """The tester's case: the chart said 2 "within the expected course" while the same open alert
    grew with a 7 from the next check-in; staff now get the chart that shows the 7."""
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    ana = emu.add_user("Ana")
    await consent(h, ana)
    h.advance(3600)
    await write(h, ana, f"soreness 2/10, {TINGLING}")
    await h.tick()
    alert = await emu.wait_for_message(dana)
    first = await emu.wait_for_message(dana, lambda m: m.photo)
    assert first.text == "Ana · soreness\nSoreness 2 at 1 h: within the expected course"

    checkin = await next_checkin(h, ana, 6)
    await tap(h, ana, checkin, "No, not yet")  # the question after an alert comes first
    await answer_checkin(h, ana, h.emu.chat(ana).messages[checkin.message_id], 7)
    await until(lambda: len(photos_to(h, dana)) == 2)
    assert "Updated ×1" in alert.text and len(emu.messages_to(dana)) == 3
    assert photos_to(h, dana)[1].text == "Ana · soreness\nSoreness 2 at 1 h, 7 at 6 h: severe"
    assert photos_to(h, dana)[1].photo.data != first.photo.data

    # Once per change: the same growth again finds the chat holding this very chart.
    edits = [r["id"] for r in h.store.db.query("SELECT id FROM outbox WHERE kind = 'alert_update'")]
    assert edits and await alerts.chart_after_growth(h.services, tuple(edits)) == 0
    await settled(h)
    assert len(photos_to(h, dana)) == 2
