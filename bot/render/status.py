"""Pure rendering of the patient's /status: what they have answered so far, check-in by check-in.
Imports `bot.guidance` and `bot.render`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.followup.status import CheckinStatus
from bot.guidance.model import Guidance
from bot.render import html as render
from bot.render.checkin import answer_label, elapsed_label
from bot.render.html import Safe


def answers_summary(
    guidance: Guidance,
    lang: str,
    checkins: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
    said_hours: Mapping[int, float],
) -> Safe:
    """One line per check-in answered ("24 h: 3/10 · No bruising"; one answered in words says so),
    and how many messages. A check-in is named by the hours its message said had passed
    (`said_hours` by check-in id)."""
    by_checkin: dict[int, dict[str, Any]] = {}
    texts = 0
    for row in answers:
        if row["question_id"] == "text":
            texts += 1
        elif row["checkin_id"] is not None:
            by_checkin.setdefault(row["checkin_id"], {})[row["question_id"]] = row["value"]
    lines = []
    for checkin in checkins:
        given = by_checkin.get(checkin["id"], {})
        said = elapsed_label(said_hours.get(checkin["id"], checkin["hours"]))
        if not given and checkin["status"] == CheckinStatus.ANSWERED:
            told = render.message(guidance, "status_in_words", lang)
            lines.append(render.message(guidance, "status_checkin", lang, hours=said, answers=told))
        elif given:
            questions = guidance.questions_at(guidance.checkin_hour(checkin["hours"]), after_alert=True)
            labels = " · ".join(answer_label(q, given[q.id], lang) for q in questions if q.id in given)
            lines.append(render.message(guidance, "status_checkin", lang, hours=said, answers=labels))
    if texts:
        lines.append(render.message(guidance, "status_messages", lang, count=texts))
    return Safe("\n".join(lines) if lines else render.message(guidance, "answers_none", lang))
