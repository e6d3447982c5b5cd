"""Load `course.toml`: the expected course of soreness drawn behind a patient's scores.

Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

from bot.guidance.model import COURSE_LABELS, Course
from bot.guidance.toml_doc import FILLED_TEXT, LIST, NUMBER, SHIPPED, TABLE, TEXT, Schema, Table

COURSE = Schema(required={"source": TEXT, "severe": NUMBER, "band": LIST, "labels": TABLE})
POINT = Schema(required={"hours": NUMBER, "low": NUMBER, "high": NUMBER})
LABELS = Schema(values=TABLE)
LANGUAGE_LABELS = Schema(optional=dict.fromkeys(COURSE_LABELS, FILLED_TEXT))


def load_course(top: Table, hours: tuple[int, ...], languages: tuple[str, ...]) -> Course:
    """The course of `course.toml` (read as `top`); its band reaches the last check-in, its
    labels are in every one of `languages`."""
    if not top["source"].strip():
        top.fail("source", "the expected course names its source")
    if not 0 < top["severe"] <= 10:
        top.fail("severe", "must be a score above 0 and at most 10")
    band: list[tuple[float, float, float]] = []
    for point in top.tables("band", POINT):
        if point["hours"] < 0 or (band and point["hours"] <= band[-1][0]):
            point.fail("hours", "must be 0 or more and above the previous point's hours")
        if not 0 <= point["low"] <= 10 or not 0 <= point["high"] <= 10:
            point.fail("", "low and high must be scores from 0 to 10")
        if point["low"] > point["high"]:
            point.fail("high", "must be at least low")
        band.append((float(point["hours"]), float(point["low"]), float(point["high"])))
    if len(band) < 2 or band[-1][0] < hours[-1]:
        top.fail("band", f"needs at least two points, reaching the last check-in ({hours[-1]} h)")
    by_language = top.table("labels", LABELS).each(LANGUAGE_LABELS)
    labels = {language: dict(table.data) for language, table in by_language}
    for language in labels:
        if language not in languages:
            top.fail(f"labels.{language}", f"'{language}' is not a language of this guidance ({SHIPPED})")
    for language in languages:
        for key in COURSE_LABELS:
            if key not in labels.get(language, {}):
                top.fail(f"labels.{language}.{key}", f"missing (the guidance ships '{language}')")
    return Course(top["source"], float(top["severe"]), tuple(band), labels)
