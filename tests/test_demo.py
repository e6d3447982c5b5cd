"""`aftercare demo` plays its clinic day to the end: the real bot, the emulator, three patients. The
same day at every speed, progress when quiet, a summary whole at 60 columns without trailing spaces."""

import asyncio
import contextlib
import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time

import pytest
from rich.console import Console

from bot.__main__ import main
from bot.demo.options import CHECKIN_HOURS
from bot.demo.outcome import AlertSummary, DemoResult, PatientSummary
from bot.demo.output import TrimmedLines
from bot.demo.run import DemoOptions, run_demo
from bot.demo.setup import WorldClock
from bot.demo.summary import summary

from .conftest import ROOT

BOX = "┃┏┗┡┣┢┠│├└┌┤┘┐┼┴┬╇┳┻╋━─┩┓┛"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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
    assert (ben_alert.bucket, ben_alert.acknowledged_by, ben_alert.told) == (
        "contact_practitioner",
        "Dana Reyes",
        ["Dana"],  # taken within the hour: never re-sent
    )
    [chloe_alert] = chloe.alerts
    assert (chloe_alert.bucket, chloe_alert.acknowledged_by, chloe_alert.told) == (
        "emergency",
        "Sam Okafor",
        ["Dana", "Sam (reminder)"],  # nobody took it: re-sent to the next staff member, who did
    )
    assert all(a.after_minutes > 0 for a in (ben_alert, chloe_alert))
    assert result.violations == 0 and result.errors_logged == 0 and result.api_calls > 100
    assert "played out as scripted" in out.getvalue() and "Chloe" in out.getvalue()
    assert "Hi Ana" not in out.getvalue()  # quiet: the summary only
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []  # nothing left running


def the_day(result: DemoResult) -> dict[str, object]:
    """What happened, without when to the minute: each patient's buckets (a typed message as
    "words", its hour depends on typing), worst bucket and alerts (bucket, who was told, who took it)."""
    return {
        p.name: (
            [("words" if "words" in when else when, bucket) for when, bucket in p.buckets],
            p.final_bucket,
            [(a.bucket, a.told, a.acknowledged_by) for a in p.alerts],
        )
        for p in result.patients
    }


@pytest.mark.drill  # the default speed takes its 72 s and more: the slowest test of the suite
async def test_fast_and_default_speed_play_the_same_day():
    fast = await run_demo(DemoOptions(fast=True, quiet=True), Console(file=io.StringIO()))
    default = await run_demo(DemoOptions(quiet=True), Console(file=io.StringIO()))

    assert fast.ok and default.ok, (fast.failures, default.failures)
    assert the_day(fast) == the_day(default)
    assert the_day(fast)["Ben"] == (
        [("6h", "normal"), ("24h", "contact_practitioner"), ("48h", "normal"), ("72h", "normal")],
        "contact_practitioner",
        [("contact_practitioner", ["Dana"], "Dana Reyes")],
    )


async def test_the_world_clock_stands_still_while_the_process_stalls():
    clock = WorldClock(warp=10.0)
    keeping = asyncio.ensure_future(clock.keep_time())
    try:
        await asyncio.sleep(0.05)
        before = clock()
        time.sleep(0.3)  # noqa: ASYNC251  # the event loop blocked, as by a busy machine
        await asyncio.sleep(0.02)
        stalled = clock() - before
        before = clock()
        await asyncio.sleep(0.3)  # idle: time passes, 10 times faster
        idle = clock() - before
    finally:
        keeping.cancel()
    assert stalled < 0.5  # at most a heartbeat's worth of the 3 s the stall would have been
    assert 2.5 < idle < 4.0
    readings = [clock() for _ in range(1000)]
    assert readings == sorted(readings)


@pytest.mark.parametrize(
    "speed, says",
    [
        ("0", "--speed must be a number above 0, got 0"),
        ("-5", "--speed must be a number above 0, got -5"),
        ("nan", "--speed must be a number above 0, got nan"),
        ("100000", "--speed must be at most 8100"),
    ],
)
def test_the_command_refuses_a_speed_it_cannot_play(capsys, speed, says):
    assert main(["demo", f"--speed={speed}", "--quiet", "--fast"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"aftercare: {says}") and err.count("\n") == 1


def whole_table(lines: list[str], width: int) -> None:
    """Every line fits, and every line of the table runs from its left border to its right one."""
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    table = [line for line in lines if line[:1] in BOX]
    assert len(table) >= 6  # top, header, rule, a patient (3 lines or more), bottom
    assert all(line[-1] in BOX for line in table), [line for line in table if line[-1] not in BOX]
    assert len({len(line) for line in table}) == 1  # one width: nothing cut, nothing spilled


def progress_of_the_day(progress: str) -> None:
    lines = progress.splitlines()
    assert lines[0].startswith("Aftercare demo: 72 h in about")
    assert [line.split(":")[0].strip() for line in lines[1:-1]] == [f"{h:g}h" for h in CHECKIN_HOURS]
    counts = [int(re.search(r"(\d+) messages", line).group(1)) for line in lines[1:]]
    assert counts == sorted(counts) and counts[-1] > 20
    assert lines[-1].startswith("The day is over (")


@pytest.mark.drill  # the demo day on the real clock: about 8 s (one run for the three points)
def test_a_quiet_demo_saved_at_60_columns_shows_progress_and_a_whole_summary_without_trailing_spaces(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("COLUMNS", "60")
    with (tmp_path / "day.txt").open("w", encoding="utf-8") as out:
        assert main(["demo", "--quiet", "--fast"], out=out) == 0
    day = (tmp_path / "day.txt").read_text(encoding="utf-8")

    progress_of_the_day(capsys.readouterr().err)  # on stderr: the saved file holds the summary only
    assert "Hi Ana" not in day and "messages so far" not in day
    assert day.endswith("\n") and "played out as scripted" in day
    assert [line for line in day.splitlines() if line != line.rstrip()] == []  # no trailing spaces
    whole_table(day.splitlines(), 60)
    words = " ".join(day.split())
    assert "Ben contact at" in words and "acknowledged by Dana Reyes after" in words
    assert "Chloe emergency at" in words and "to Dana, Sam (reminder); acknowledged by Sam Okafor" in words


@pytest.mark.drill  # the demo day on the real clock, in a terminal: about 8 s
def test_a_terminal_60_columns_wide_gets_a_whole_summary():
    """No COLUMNS: the width is the terminal's, as rich reads it from the standard streams."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 60, 0, 0))  # rows, columns
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"  # rich takes a "dumb" terminal for 80 columns whatever its size
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--quiet", "--fast"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
    )
    os.close(follower)
    chunks = []
    with contextlib.suppress(OSError):  # the terminal closes (EIO) once the demo exits
        while chunk := os.read(leader, 65536):
            chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    screen = ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    assert "  24h: " in screen and "played out as scripted" in screen
    whole_table([line.rstrip() for line in screen.splitlines()], 60)


def worst_case() -> DemoResult:
    """A day with the longest cells the summary can hold: words at 48 h that are an emergency, an
    alert nobody took."""
    return DemoResult(
        patients=[
            PatientSummary(
                "Chloe",
                "upper back, heavy",
                4,
                4,
                [("6h", "normal"), ("48h (words)", "emergency"), ("72h", "contact_practitioner")],
                "emergency",
                [
                    AlertSummary("emergency", 48.4, "Sam Okafor", 92.0, ["Dana", "Sam (reminder)"]),
                    AlertSummary("contact_practitioner", 72.5, None, None, ["Dana"]),
                ],
                "completed",
            )
        ],
        api_calls=245,
        seconds=77.0,
    )


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_summary_fits_every_width_from_60(width):
    out = io.StringIO()
    Console(file=out, width=width, highlight=False).print(summary(worst_case(), DemoOptions()))
    lines = out.getvalue().splitlines()
    whole_table([line.rstrip() for line in lines], width)
    assert "48h (words) emergency" in out.getvalue()  # a cell whole on its line
    assert "not acknowledged" in " ".join(out.getvalue().split())


def test_trailing_spaces_go_and_colour_codes_stay():
    out = io.StringIO()
    lines = TrimmedLines(out)
    for part in ["a title   \n", "│ a cell │  \x1b[0m  \n", "the end", "  "]:
        lines.write(part)
    lines.finish()
    assert out.getvalue() == "a title\n│ a cell │\x1b[0m\nthe end"


def test_the_readme_quick_start_says_what_quiet_shows():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "`--quiet` prints a line per check-in hour (on stderr) and the summary" in readme
