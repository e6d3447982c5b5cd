"""The soreness chart: a patient's scores over the 72 h against the expected course (PNG).

Drawn with matplotlib's object API (`Figure` + the Agg canvas): no pyplot, no global state, no
display, safe from any thread. The expected course, the severe line and every text on the chart
come from `guidance/course.toml`; nothing clinical lives here.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.guidance.model import Course, Guidance
from bot.render.html import escape

SIZE_INCHES = (6.0, 3.5)
DPI = 100
FOLLOW_UP_HOURS = 72.0  # the x axis runs at least this far
AXES_BOX = (0.1, 0.15, 0.87, 0.75)  # left, bottom, width, height, as fractions of the figure
PATIENT_COLOUR, BAND_COLOUR, SEVERE_COLOUR = "#1f5fa8", "#8fc99a", "#c0392b"


def chart_points(assessments: Iterable[dict[str, Any]]) -> list[tuple[float, int]]:
    """(hours, soreness) of the assessments that have a score, in time order."""
    points = [
        (float(a["hours"]), int(a["soreness"]))
        for a in assessments
        if a.get("soreness") is not None and a.get("hours") is not None
    ]
    return sorted(points, key=lambda p: p[0])


def chart_figure(
    points: Sequence[tuple[float, int]],
    course: Course,
    title: str,
    ticks: Sequence[float] | None = None,
    language: str = "en",
) -> Figure:
    """The chart as a matplotlib Figure (tests read its artists back)."""
    points = sorted(points)
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes(AXES_BOX)  # fixed margins: an automatic layout costs a third of the time
    hours = [h for h, _, _ in course.band]
    axes.fill_between(
        hours,
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
        linewidth=1.2,
        label=f"{course.label('severe', language)} (≥ {course.severe:g})",
        gid="severe",
    )
    axes.plot(
        [h for h, _ in points],
        [s for _, s in points],
        color=PATIENT_COLOUR,
        marker="o",
        linewidth=2,
        markersize=6,
        label=course.label("patient", language),
        gid="patient",
        clip_on=False,
        zorder=3,
    )
    right = max([FOLLOW_UP_HOURS, hours[-1], *(h for h, _ in points)])
    axes.set_xlim(0, right)
    axes.set_ylim(0, 10)
    axes.set_xticks(sorted({0.0, *(ticks if ticks is not None else hours)}))
    axes.set_yticks(range(0, 11, 2))
    axes.grid(True, color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    # Names and clinic texts are shown as written: never read as mathtext ("$5 bet").
    axes.set_title(title, parse_math=False, fontsize=11)
    axes.set_xlabel(course.label("hours", language), parse_math=False)
    axes.set_ylabel(course.label("score", language), parse_math=False)
    legend = axes.legend(loc="upper right", fontsize=8, framealpha=0.9)
    for text in legend.get_texts():
        text.set_parse_math(False)
    return figure


def soreness_chart(
    points: Sequence[tuple[float, int]],
    course: Course | None,
    title: str,
    ticks: Sequence[float] | None = None,
    language: str = "en",
) -> bytes | None:
    """The chart as PNG bytes (about 25 KB), or None when there is no score to draw."""
    if not points or course is None:
        return None
    figure = chart_figure(points, course, title, ticks, language)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a glyph missing from the font (a name in another script) draws as a box; its warning
        # would put part of a patient's name in the log
        warnings.filterwarnings("ignore", message="Glyph", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def scores_chart(
    assessments: Iterable[dict[str, Any]], guidance: Guidance, language: str, first_name: str | None
) -> tuple[bytes, str] | None:
    """The PNG of a follow-up's scores and its HTML caption ("Ana · soreness"), None without a
    score; from assessment rows already read, so it is safe to run in a worker thread."""
    course = guidance.course
    points = chart_points(assessments)
    if course is None or not points:
        return None
    name = (first_name or "?").strip() or "?"
    title = f"{name} · {course.label('title', language)}"
    png = soreness_chart(points, course, title, (0, *guidance.checkin_hours), language)
    return (png, escape(title)) if png else None
