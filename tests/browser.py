"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium, for the
browser tests. Selenium's calls block, so each runs in a thread: the bot and its web server keep
serving on the test's event loop meanwhile. Without Chromium or its driver the tests skip, saying so."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = ("chromium", "/usr/bin/chromium")
DRIVER = ("chromedriver", "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # a container's small /dev/shm crashes tabs
)
DESKTOP, PHONE = (1280, 800, False), (390, 844, True)


def _found(names: tuple[str, str]) -> str | None:
    return shutil.which(names[0]) or (names[1] if Path(names[1]).exists() else None)


def chromium(user_data: Path) -> Iterator[webdriver.Chrome]:
    """Chromium with a fresh profile in `user_data`; the test skips where it is not installed."""
    binary, driver = _found(CHROMIUM), _found(DRIVER)
    if binary is None or driver is None:
        pytest.skip("no Chromium here: install Debian's chromium and chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, f"--user-data-dir={user_data}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield browser
    finally:
        browser.quit()


class Page:
    """The browser's tab, with awaitable steps."""

    def __init__(self, driver: webdriver.Chrome, base_url: str):
        self.driver, self.base_url = driver, base_url

    async def run(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(call, *args)

    async def open(self, url: str) -> None:
        await self.run(self.driver.get, url if url.startswith("http") else self.base_url + url)

    async def find(self, css: str) -> WebElement:
        return await self.run(self.driver.find_element, By.CSS_SELECTOR, css)

    async def all(self, css: str) -> list[WebElement]:
        return await self.run(self.driver.find_elements, By.CSS_SELECTOR, css)

    async def click(self, css: str) -> None:
        await self.run((await self.find(css)).click)

    async def until(self, script: str, timeout: float = 5.0) -> Any:
        """The value of a JavaScript expression once it is truthy (the page loaded after a click)."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.run(self.driver.execute_script, "return " + script)
            if value or time.monotonic() > deadline:
                assert value, f"never true: {script}"
                return value
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path, size: tuple[int, int, bool]) -> None:
        """The whole page at a device's width (a phone: its viewport and touch), as PNG."""
        width, height, mobile = size
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        await self.run(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", metrics)
        full = await self.run(self.driver.execute_script, "return document.documentElement.scrollHeight")
        metrics["height"] = max(height, full)
        await self.run(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", metrics)
        path.parent.mkdir(parents=True, exist_ok=True)
        assert await self.run(self.driver.save_screenshot, str(path))
        await self.run(self.driver.execute_cdp_cmd, "Emulation.clearDeviceMetricsOverride", {})
