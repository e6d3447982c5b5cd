"""`aftercare demo --web`: after the day, the web worklist stays up on the day's data with the bot
still running, and a sign-in link is printed; a visitor signs in with it, and the demo ends,
exit 0, when stopped (Ctrl-C on the command line)."""

import asyncio
import io
import re
import signal
import sys

import aiohttp
import pytest
from rich.console import Console

from bot.demo.run import DemoOptions, run_demo

from .conftest import ROOT

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/signin/(\S+)")


async def printed_link(out: io.StringIO, demo: asyncio.Task) -> re.Match:
    while (found := LINK.search(out.getvalue())) is None:
        assert not demo.done(), out.getvalue()
        await asyncio.sleep(0.1)
    return found


@pytest.mark.drill  # the demo day on the real clock: about 8 s
async def test_the_worklist_stays_up_after_the_day_with_a_sign_in_link_until_stopped():
    out, stop = io.StringIO(), asyncio.Event()
    options = DemoOptions(fast=True, quiet=True, web=True)
    demo = asyncio.create_task(run_demo(options, Console(file=out, width=80), stop=stop))
    found = await asyncio.wait_for(printed_link(out, demo), 120)
    base, token = found.groups()
    assert "works once" in out.getvalue() and "Ctrl-C stops the demo" in out.getvalue()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(found.group(0)) as form:
            assert form.status == 200
        async with browser.post(f"{base}/signin", data={"token": token}) as signed:
            assert signed.status == 200 and "Open alerts" in await signed.text()
        timelines = []
        for patient_id in (1, 2, 3):
            async with browser.get(f"{base}/patients/{patient_id}") as timeline:
                assert timeline.status == 200
                timelines.append(await timeline.text())
        assert [name for name in ("Ana", "Ben", "Chloe") if any(name in t for t in timelines)] == [
            "Ana",
            "Ben",
            "Chloe",
        ]
        async with browser.get(f"{base}/summary") as summary:
            assert summary.status == 200
        assert not demo.done()  # still serving
        stop.set()
        result = await asyncio.wait_for(demo, 60)
        assert result.ok, result.failures
        with pytest.raises(aiohttp.ClientConnectionError):
            await browser.get(base)


@pytest.mark.drill
async def test_ctrl_c_ends_the_demo_web_with_exit_0():
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--quiet",
        "--fast",
        "--web",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert process.stdout is not None
    printed = b""
    try:
        while not LINK.search(printed.decode()):
            line = await asyncio.wait_for(process.stdout.readline(), 120)
            assert line, printed.decode()
            printed += line
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, (printed + rest).decode()
    assert "Ana" in rest.decode()  # the day's summary follows
