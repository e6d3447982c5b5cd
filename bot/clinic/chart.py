"""The soreness chart: a patient's scores over the 72 h against the expected course (PNG).

Drawn with matplotlib's object API (`Figure` + the Agg canvas): no pyplot, no global state, no
display, safe from any thread. Made for a phone: 1200 x 800 px, type that stays readable when the
picture is shown a third of its width, the legend below the data (never over a point), each score
written by its point, clear of the other values and dots, the x axis running past a late reply,
and the alerts of the follow-up marked. The expected course, the severe line
and every text on the chart come from `guidance/course.toml`; the caption's one-line summary
comes from `guidance/messages.toml`; nothing clinical lives here.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from bot.guidance.model import Course, Guidance
from bot.render.alerts import format_hours
from bot.render.html import Safe, escape, message

SIZE_INCHES = (6.0, 4.0)
DPI = 200  # 1200 x 800 px: twice the width of the first chart, sharp on a phone's screen
FOLLOW_UP_HOURS = 72.0  # the x axis runs at least this far
AXES_BOX = (0.11, 0.36, 0.86, 0.53)  # left, bottom, width, height: room above for the title, below
LEGEND_TOP = 0.215  # for the axis label and a legend of two rows (figure fraction)
TOP_SCORE = 10
HEADROOM = 2.5  # above 10, so a 10's value label (over its alert's ring too) stays inside the plot
LATE_ROOM = 0.05  # of the x axis past the last point: a late reply's dot, ring and value stay inside
MARKER, RING = 8, 17  # points: a score's dot, and the ring round an alert's score
FONT, SMALL_FONT, TITLE_FONT = 13, 12, 15
PATIENT_COLOUR, BAND_COLOUR, SEVERE_COLOUR = "#1f5fa8", "#8fc99a", "#555555"
# Assessments whose bucket raised an alert, and how they are marked (label key in course.toml).
ALERT_STYLES = {
    "contact_practitioner": ("#e67e22", "alert_contact"),
    "emergency": ("#c0392b", "alert_emergency"),
}


def chart_points(assessments: Iterable[dict[str, Any]]) -> list[tuple[float, int]]:
    """(hours, soreness) of the assessments that have a score, in time order."""
    points = [
        (float(a["hours"]), int(a["soreness"]))
        for a in assessments
        if a.get("soreness") is not None and a.get("hours") is not None
    ]
    return sorted(points, key=lambda p: p[0])


def chart_alerts(assessments: Iterable[dict[str, Any]]) -> list[tuple[float, str]]:
    """(hours, bucket) of the assessments that raised an alert (contact or emergency), in time order."""
    marks = [
        (float(a["hours"]), str(a["bucket"]))
        for a in assessments
        if a.get("bucket") in ALERT_STYLES and a.get("hours") is not None
    ]
    return sorted(marks)


def chart_figure(
    points: Sequence[tuple[float, int]],
    course: Course,
    title: str,
    ticks: Sequence[float] | None = None,
    language: str = "en",
    alerts: Sequence[tuple[float, str]] = (),
) -> Figure:
    """The chart as a matplotlib Figure (tests read its artists back)."""
    points = sorted(points)
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes(AXES_BOX)  # fixed margins: an automatic layout costs a third of the time
    hours = [h for h, _, _ in course.band]
    _draw_course(axes, course, language)
    _draw_alerts(axes, points, alerts, course, language)
    _draw_scores(axes, points, course, language)
    last = max([0.0, *(h for h, _ in points), *(h for h, _ in alerts)])
    axes.set_xlim(0, max(FOLLOW_UP_HOURS, hours[-1], last * (1 + LATE_ROOM)))
    axes.set_ylim(0, TOP_SCORE + HEADROOM)
    axes.spines["left"].set_bounds(0, TOP_SCORE)  # the scale ends at 10; above it is room for values
    axes.set_xticks(sorted({0.0, *(ticks if ticks is not None else hours)}))
    axes.set_yticks(range(0, TOP_SCORE + 1, 2))
    axes.tick_params(labelsize=FONT)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    # Names and clinic texts are shown as written: never read as mathtext ("$5 bet").
    figure.suptitle(title, parse_math=False, fontsize=TITLE_FONT, fontweight="bold", y=0.975)
    axes.set_xlabel(course.label("hours", language), parse_math=False, fontsize=FONT)
    axes.set_ylabel(course.label("score", language), parse_math=False, fontsize=FONT)
    # Below the axes, across the figure: a legend there can never hide a point.
    handles, _ = axes.get_legend_handles_labels()
    handles.sort(key=_legend_rank)
    legend = figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, LEGEND_TOP),
        ncol=3,
        fontsize=SMALL_FONT,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.0,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    _write_values(axes, points, {h for h, _ in alerts})  # once the axes' scale is set
    return figure


def _legend_rank(handle: Any) -> int:
    """The patient's scores first, then the expected course and the severe line, then the alerts."""
    order = ("patient", "expected", "severe")
    gid = handle.get_gid()
    return order.index(gid) if gid in order else len(order)


def _draw_course(axes: Axes, course: Course, language: str) -> None:
    """The expected band and the severe line, from course.toml."""
    axes.fill_between(
        [h for h, _, _ in course.band],
        [low for _, low, _ in course.band],
        [high for _, _, high in course.band],
        color=BAND_COLOUR,
        alpha=0.35,
        linewidth=0,
        label=course.label("expected", language),
        gid="expected",
    )
    axes.axhline(
        course.severe,
        color=SEVERE_COLOUR,
        linestyle="--",
        linewidth=1.6,
        label=f"{course.label('severe', language)} (≥ {course.severe:g})",
        gid="severe",
    )


def _draw_scores(axes: Axes, points: Sequence[tuple[float, int]], course: Course, language: str) -> None:
    """The patient's scores as a line of dots."""
    axes.plot(
        [h for h, _ in points],
        [s for _, s in points],
        color=PATIENT_COLOUR,
        marker="o",
        linewidth=2.5,
        markersize=MARKER,
        label=course.label("patient", language),
        gid="patient",
        clip_on=False,
        zorder=4,
    )


def _write_values(axes: Axes, points: Sequence[tuple[float, int]], ringed: set[float]) -> None:
    """Each score's value by its point: above it (under it in a dip), else below, right or left,
    the first spot that stays inside the plot and clear of every dot, ring and value already
    written, so close scores (a 9 beside a 10) stay readable."""
    canvas = axes.figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # chart_figure draws with Agg
    renderer, px, plot = canvas.get_renderer(), DPI / 72, axes.get_window_extent()
    taken = [
        _square(axes.transData.transform((hour, score)), (RING if hour in ringed else MARKER) / 2 * px)
        for hour, score in points
    ]
    outline = [patheffects.withStroke(linewidth=4, foreground="white")]
    for index, (hour, score) in enumerate(points):
        value = axes.annotate(
            str(score),
            (hour, score),
            xytext=(0, 0),  # moved to its spot below
            textcoords="offset points",
            fontsize=FONT,
            fontweight="bold",
            color=PATIENT_COLOUR,
            path_effects=outline,
            gid="value",
            zorder=5,
            annotation_clip=False,
        )
        spots = _spots(hour in ringed, _in_a_dip(points, index))
        fits = (spot for spot in spots if _clear(_put(value, spot, renderer), plot, taken))
        taken.append(_put(value, next(fits, spots[0]), renderer))


Across = Literal["left", "center", "right"]
Upright = Literal["bottom", "center", "top"]
Spot = tuple[tuple[float, float], Across, Upright]  # offset in points, and the text's alignment


def _spots(ringed: bool, dip: bool) -> list[Spot]:
    """Where a value may go, in order of preference (further out round an alert's ring): off the
    line first, beside the point last."""
    gap = RING / 2 + 4 if ringed else MARKER / 2 + 4
    above: Spot = ((0, gap), "center", "bottom")
    below: Spot = ((0, -gap - 2), "center", "top")
    others: list[Spot] = [
        ((gap, gap), "left", "bottom"),
        ((-gap, gap), "right", "bottom"),
        ((gap, 0), "left", "center"),
        ((-gap, 0), "right", "center"),
        ((gap, -gap), "left", "top"),
        ((-gap, -gap), "right", "top"),
    ]
    return [below, above, *others] if dip else [above, below, *others]


def _put(value: Annotation, spot: Spot, renderer: Any) -> Bbox:
    """Move `value` to `spot`; where it lands, in pixels."""
    (dx, dy), ha, va = spot
    value.xyann = (dx, dy)
    value.set_horizontalalignment(ha)
    value.set_verticalalignment(va)
    return value.get_window_extent(renderer)


def _clear(box: Bbox, plot: Bbox, taken: list[Bbox]) -> bool:
    """Inside the plot and over nothing already drawn."""
    inside = plot.x0 <= box.x0 and box.x1 <= plot.x1 and plot.y0 <= box.y0 and box.y1 <= plot.y1
    return inside and not box.count_overlaps(taken)


def _square(centre: Any, radius: float) -> Bbox:
    return Bbox.from_bounds(centre[0] - radius, centre[1] - radius, 2 * radius, 2 * radius)


def _in_a_dip(points: Sequence[tuple[float, int]], index: int) -> bool:
    """Whether a score sits below its neighbours: its value is written under it, off the line."""
    score = points[index][1]
    neighbours = [points[i][1] for i in (index - 1, index + 1) if 0 <= i < len(points)]
    return score > 0 and bool(neighbours) and all(score < other for other in neighbours)


def _draw_alerts(
    axes: Axes,
    points: Sequence[tuple[float, int]],
    alerts: Sequence[tuple[float, str]],
    course: Course,
    language: str,
) -> None:
    """Each alert as a dotted line at its hour, and a ring round its score when it had one."""
    scores = dict(points)
    for bucket, (colour, key) in ALERT_STYLES.items():
        hours = [h for h, b in alerts if b == bucket]
        if not hours:
            continue
        for hour in hours:
            axes.axvline(hour, color=colour, linestyle=":", linewidth=1.8, zorder=2, gid=f"alert_{bucket}")
        ringed = [h for h in hours if h in scores]
        axes.plot(
            ringed,
            [scores[h] for h in ringed],
            linestyle="none",
            marker="o",
            markersize=RING,
            markerfacecolor="none",
            markeredgecolor=colour,
            markeredgewidth=2.5,
            clip_on=False,
            zorder=3,
            gid=f"ring_{bucket}",
        )
        axes.add_line(_legend_only(colour, course.label(key, language)))


def _legend_only(colour: str, label: str) -> Line2D:
    """An alert's legend key (a ring on a dotted line), drawn nowhere in the data."""
    return Line2D(
        [],
        [],
        color=colour,
        linestyle=":",
        linewidth=1.8,
        marker="o",
        markersize=11,
        markerfacecolor="none",
        markeredgewidth=2.2,
        label=label,
    )


def soreness_chart(
    points: Sequence[tuple[float, int]],
    course: Course | None,
    title: str,
    ticks: Sequence[float] | None = None,
    language: str = "en",
    alerts: Sequence[tuple[float, str]] = (),
) -> bytes | None:
    """The chart as PNG bytes (about 80 KB), or None when there is no score to draw."""
    if not points or course is None:
        return None
    figure = chart_figure(points, course, title, ticks, language, alerts)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a glyph missing from the font (a name in another script) draws as a box; its warning
        # would put part of a patient's name in the log
        warnings.filterwarnings("ignore", message="Glyph", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def summary(points: Sequence[tuple[float, int]], course: Course, guidance: Guidance, language: str) -> Safe:
    """One line for those who do not read charts ("Soreness 7 at 6 h, 3 at 48 h: easing as
    expected"): the latest score against an earlier one and against the expected course."""
    hour, score = points[-1]
    earlier = points[:-1]
    # Against the peak when the scores have come down from it, else against the first score.
    peak = max(earlier, key=lambda p: p[1], default=None)
    before = peak if peak and peak[1] > score else (earlier[0] if earlier else None)
    verdict = message(guidance, _verdict(hour, score, before, course), language)
    if before is None:
        return message(
            guidance, "chart_summary_one", language, score=score, hours=format_hours(hour), verdict=verdict
        )
    return message(
        guidance,
        "chart_summary",
        language,
        first_score=before[1],
        first_hours=format_hours(before[0]),
        score=score,
        hours=format_hours(hour),
        verdict=verdict,
    )


def _verdict(hour: float, score: int, before: tuple[float, int] | None, course: Course) -> str:
    """The message key that says where the latest score stands (thresholds from course.toml)."""
    if score >= course.severe:
        return "chart_verdict_severe"
    if score > course.high_at(hour):
        return "chart_verdict_above"
    if before is not None and score < before[1]:
        return "chart_verdict_easing"
    if before is not None and score > before[1]:
        return "chart_verdict_rising"
    return "chart_verdict_within"


def scores_chart(
    assessments: Iterable[dict[str, Any]], guidance: Guidance, language: str, first_name: str | None
) -> tuple[bytes, str] | None:
    """The PNG of a follow-up's scores and its HTML caption (the title, then the one-line summary),
    None without a score; from assessment rows already read, so it is safe to run in a worker thread."""
    course = guidance.course
    rows = list(assessments)
    points = chart_points(rows)
    if course is None or not points:
        return None
    name = (first_name or "?").strip() or "?"
    title = f"{name} · {course.label('title', language)}"
    hours = (0, *guidance.checkin_hours)
    png = soreness_chart(points, course, title, hours, language, chart_alerts(rows))
    if png is None:
        return None
    return png, f"{escape(title)}\n{summary(points, course, guidance, language)}"


def scores_svg(
    assessments: Iterable[dict[str, Any]], guidance: Guidance, language: str, first_name: str | None
) -> bytes | None:
    """The same chart as `scores_chart`, as SVG for the web timeline; None without a score."""
    course, rows = guidance.course, list(assessments)
    points = chart_points(rows)
    if course is None or not points:
        return None
    title = f"{(first_name or '?').strip() or '?'} · {course.label('title', language)}"
    figure = chart_figure(points, course, title, (0, *guidance.checkin_hours), language, chart_alerts(rows))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph", category=UserWarning)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
