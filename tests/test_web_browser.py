"""The web worklist in a real headless Chromium, against the running bot and the emulator: sign
in from a /web link, the emergency on top, acknowledged from the page and shown on the Telegram
copies, the timeline's chart drawn; and the screenshots the README shows (docs/screenshots/)."""

import os
import re
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.web.server import start

from .browser import DESKTOP, PHONE, Page, chromium
from .harness import free_port
from .test_staff_telegram import open_alert
from .web_helpers import turn_on_web

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/signin/[\w-]+)")


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    yield from chromium(tmp_path_factory.mktemp("chromium-profile"))


async def served(h, chrome, stack) -> Page:
    """The worklist served on a free port as `aftercare run` serves it, and a tab signed in from
    the link `/web` gives in Telegram."""
    turn_on_web(h, port=free_port())
    stack.push_async_callback(await start(h.services))
    chrome.delete_all_cookies()
    await h.emu.send_text(h.practitioner, "/web")
    link = await h.emu.wait_for_message(h.practitioner, lambda m: "/signin/" in (m.text or ""))
    page = Page(chrome, h.services.config.web.base_url)
    await page.open(LINK.search(link.text).group(1))
    await page.click("main form button[type=submit]")
    await page.until("document.querySelector('h1') && location.pathname === '/'")
    return page


async def alerts_of_a_morning(h):
    """An open alert, an emergency ten minutes later, and one already taken; the copies sent."""
    older, _ = await open_alert(h, patient_name="Ana")
    h.advance(300)
    taken, _ = await open_alert(h, bucket="contact_practitioner", patient_name="Carmen")
    h.advance(240)
    h.store.acknowledge_alert(taken, h.admin.id, h.clock())
    h.advance(60)
    emergency, _ = await open_alert(h, bucket="emergency", patient_name="Bea")
    h.advance(60)
    await h.tick()
    return older, emergency


async def test_sign_in_acknowledge_an_emergency_and_see_the_chart(make_bot, chrome):
    h = await make_bot()
    older, emergency = await alerts_of_a_morning(h)
    copy = await h.emu.wait_for_message(h.practitioner, lambda m: "Bea" in (m.text or ""))
    async with AsyncExitStack() as stack:
        page = await served(h, chrome, stack)
        rows = [await page.run(row.get_attribute, "id") for row in await page.all("tbody tr")]
        assert rows[:2] == [f"alert-{emergency}", f"alert-{older}"]
        assert "Bea" in await page.run(lambda: page.driver.find_element("id", rows[0]).text)

        await page.click(f"#alert-{emergency} button.primary")
        await page.until(f"document.querySelector('#alert-{emergency}.taken')")
        await h.settle()
        assert "Acknowledged by Dana Reyes" in copy.text and copy.button(text="Seen in clinic")
        assert h.store.alert(emergency)["acknowledged_by"] == h.practitioner.id

        await page.click(f"#alert-{emergency} td:nth-child(2) a")
        await page.until("document.querySelector('.chart img')")
        drawn = await page.until("document.querySelector('.chart img').naturalWidth")
        assert drawn > 300  # the SVG loaded (a refused or broken image is 0 wide)


async def test_screenshots_of_the_worklist_alert_and_timeline(make_bot, chrome, tmp_path):
    """Saved where the README shows them with AFTERCARE_SCREENSHOTS=1; otherwise taken and checked
    in a temporary folder, so a test run leaves the checkout as it was."""
    folder = SCREENSHOTS if os.environ.get("AFTERCARE_SCREENSHOTS") == "1" else tmp_path
    h = await make_bot()
    older, emergency = await alerts_of_a_morning(h)
    async with AsyncExitStack() as stack:
        page = await served(h, chrome, stack)
        await page.screenshot(folder / "worklist-desktop.png", DESKTOP)
        await page.screenshot(folder / "worklist-phone.png", PHONE)
        await page.click(f"#alert-{emergency} button.primary")
        await page.until(f"document.querySelector('#alert-{emergency}.taken')")
        await page.open(f"/alerts/{emergency}")
        await page.screenshot(folder / "alert-phone.png", PHONE)
        patient_id = h.store.session(h.store.alert(emergency)["session_id"])["patient_id"]
        await page.open(f"/patients/{patient_id}")
        await page.until("document.querySelector('.chart img').naturalWidth")
        await page.screenshot(folder / "timeline-desktop.png", DESKTOP)
        await page.screenshot(folder / "timeline-phone.png", PHONE)
    for name in ("worklist-desktop", "worklist-phone", "alert-phone", "timeline-desktop", "timeline-phone"):
        assert (folder / f"{name}.png").read_bytes().startswith(b"\x89PNG")
