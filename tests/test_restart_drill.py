"""SIGKILL at any moment of a burst loses no check-in: the restart drill (tests/drills/restart.py;
bench/drill_restart.py runs it at full size), smaller, with the real bot as a child process
against the emulator on 127.0.0.1, Telegram answering each send after 0.1-0.3 s."""

import pytest

from bot.telegram.app import sends_in_flight

from .drills.restart import run_restart_drill

pytestmark = pytest.mark.drill


async def test_twenty_kills_during_a_burst_lose_no_checkin_and_the_last_stop_is_clean(tmp_path):
    result = await run_restart_drill(patients=60, kills=20, seed=7, timeout=45.0, folder=tmp_path)

    assert result.kills == 20, result.problems
    assert result.verdict.lost == 0, result.verdict.lost_ids
    assert result.verdict.delivered == result.checkins == 60
    # A kill duplicates the sends Telegram took and the bot had not heard back about: at most
    # those in flight (measured: about 4 a kill at 28/s, README)
    assert result.verdict.duplicated <= result.kills * sends_in_flight(28)
    assert result.final_code == 0, result.problems
    assert result.ok, "\n".join(result.problems)
