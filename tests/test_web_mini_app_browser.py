"""The Mini App's script in a real headless Chromium: opened at /app with Telegram's initData
(Telegram.WebApp stood in for, its script blocked: no network), it shows the worklist, an
acknowledgement goes through, and the timeline's chart is fetched with initData and shown.
Skips, saying why, where Chromium or its driver is missing."""

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.web.mini_app_csp import TELEGRAM_WEB_APP_JS

from .test_staff_telegram import open_alert
from .test_web_mini_app import init_data
from .web_helpers import web_client

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER), reason="Debian's chromium and chromium-driver packages are not installed"
    ),
]


def chromium(data: str) -> Any:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=400,800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [TELEGRAM_WEB_APP_JS]})
    stand_in = f"window.Telegram = {{WebApp: {{initData: {json.dumps(data)}, ready() {{}}, expand() {{}}}}}};"
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": stand_in})
    return driver


async def until(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """Poll `check` (run off the event loop, which serves the pages) until it is truthy."""
    deadline = time.monotonic() + seconds
    while not (found := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return found


async def test_the_mini_app_shows_the_worklist_acknowledges_and_draws_the_chart(make_bot):
    h = await make_bot()
    emergency, patient = await open_alert(h, bucket="emergency", patient_name="Bea")
    async with web_client(h) as client:
        driver = await asyncio.to_thread(chromium, init_data(h, h.practitioner.id))
        try:
            await asyncio.to_thread(driver.get, str(client.make_url("/app")))
            row = f"alert-{emergency}"
            # Each check is one script run: the page's body is replaced as pages arrive.
            await until(lambda: driver.execute_script(f"return !!document.getElementById('{row}')"))
            await asyncio.to_thread(driver.execute_script, f"document.querySelector('#{row} button').click()")
            taken = f"return document.getElementById('{row}')?.textContent.includes('Dana Reyes')"
            await until(lambda: driver.execute_script(taken))
            assert h.store.alert(emergency)["acknowledged_by"] == h.practitioner.id

            await asyncio.to_thread(driver.execute_script, f"document.querySelector('#{row} a').click()")
            shown = (
                "const chart = document.querySelector('figure.chart img');"
                "return !!chart && chart.src.startsWith('blob:') && chart.naturalWidth > 0"
            )
            await until(lambda: driver.execute_script(shown))
            assert "Bea" in driver.execute_script("return document.querySelector('main').textContent")
        finally:
            await asyncio.to_thread(driver.quit)
