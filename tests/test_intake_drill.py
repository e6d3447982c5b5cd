"""Drill (20-40 s, a real child process): patients write while the bot is SIGKILLed again
and again, each time just after it fetched updates, and no message is lost. The intake drill
(tests/drills/intake.py; bench/drill_intake.py runs it at full size), smaller."""

import pytest

from .drills.intake import run_intake_drill

pytestmark = pytest.mark.drill


async def test_drill_patients_writing_through_five_kills_just_after_a_fetch_lose_no_message(tmp_path):
    result = await run_intake_drill(
        patients=40, kills=5, seed=3, timeout=25.0, folder=tmp_path, modes=("at-fetch",)
    )

    assert result.kills == 5, result.problems
    assert result.lost == [], result.lost
    assert result.unassessed == [] and result.stored == result.assessed == result.written
    assert result.unanswered == []
    assert result.duplicates <= result.kills
    assert result.inbox_left == 0
    assert result.final_code == 0, result.problems
    assert result.ok, "\n".join(result.problems)
