"""`aftercare demo` plays its clinic day to the end: the real bot, the emulator, three patients."""

import asyncio
import io

import pytest
from rich.console import Console

from bot.__main__ import main
from bot.demo.run import DemoOptions, run_demo


@pytest.mark.drill  # the demo day on the real clock: about 8 s
async def test_the_fast_demo_plays_the_day_as_scripted():
    out = io.StringIO()
    result = await run_demo(DemoOptions(fast=True, quiet=True), Console(file=out, width=120))

    assert result.ok, result.failures
    assert {p.name: p.final_bucket for p in result.patients} == {
        "Ana": "normal",
        "Ben": "contact_practitioner",
        "Chloe": "emergency",
    }
    assert all((p.checkins_sent, p.checkins_answered) == (4, 4) for p in result.patients)
    ana, ben, chloe = (result.patient(name) for name in ("Ana", "Ben", "Chloe"))
    assert ana.alerts == [] and any("words" in when for when, _ in ana.buckets)
    [ben_alert] = ben.alerts
    assert (ben_alert.bucket, ben_alert.acknowledged_by, ben_alert.told[0]) == (
        "contact_practitioner",
        "Dana Reyes",
        "Dana",
    )
    [chloe_alert] = chloe.alerts
    assert (chloe_alert.bucket, chloe_alert.acknowledged_by, chloe_alert.told[0]) == (
        "emergency",
        "Sam Okafor",
        "Dana",
    )
    assert "Sam (reminder)" in chloe_alert.told  # nobody took it: re-sent to the next staff member
    assert all(a.after_minutes > 0 for a in (ben_alert, chloe_alert))
    assert result.violations == 0 and result.errors_logged == 0 and result.api_calls > 100
    assert "played out as scripted" in out.getvalue() and "Chloe" in out.getvalue()
    assert "Hi Ana" not in out.getvalue()  # quiet: the summary only
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []  # nothing left running


def test_the_command_refuses_a_speed_that_would_outrun_the_patients(capsys):
    assert main(["demo", "--speed", "100000"]) == 2
    assert "--speed" in capsys.readouterr().err
