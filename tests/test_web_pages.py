"""The web worklist's pages and actions, on aiohttp's test server beside the running bot:
the worklist's order and its Acknowledge (the Telegram copies follow), the CSRF token, the
refusals of another clinic's staff, the timeline with its chart and photos, the patients'
filters, the summary and its downloads, and the colours' contrast."""

import json
import re
from pathlib import Path

import pytest

from bot.followup.status import CheckinStatus
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.web import pages, views

from .harness import START
from .test_staff_telegram import open_alert
from .web_helpers import sign_in, web_client

CSS = Path(views.__file__).parent / "static" / "style.css"


def names(html: str) -> list[str]:
    return re.findall(r"#\d+ (\w+)</a>", html)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="alert ([a-z_]+)[^"]*" id="alert-(\d+)"', html)


async def test_the_worklist_shows_emergencies_first_and_acknowledges_like_the_button(make_bot):
    h = await make_bot()
    older, _ = await open_alert(h, patient_name="Ana")
    h.advance(600)
    emergency, _ = await open_alert(h, bucket="emergency", patient_name="Bea")
    h.advance(60)
    await h.tick()
    copy = await h.emu.wait_for_message(h.practitioner, lambda m: "Bea" in (m.text or ""))
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.practitioner)
        html = await (await client.get("/")).text()
        assert _rows(html) == [("emergency", str(emergency)), ("contact_practitioner", str(older))]
        assert '<meta http-equiv="refresh" content="15">' in html
        assert "fingers</b>" not in html and "my &lt;b&gt;fingers&lt;/b&gt; tingle &amp; feel odd" in html
        assert "Numbness or tingling in the arm" in html and "11 min" in html and "1 min" in html

        refused = await client.post(f"/alerts/{emergency}/acknowledge", data={})
        assert refused.status == 403 and "This form has expired" in await refused.text()
        forged = await client.post(f"/alerts/{emergency}/acknowledge", data={"csrf": "0" * 64})
        assert forged.status == 403 and h.store.alert(emergency)["status"] == "open"

        done = await client.post(
            f"/alerts/{emergency}/acknowledge", data={"csrf": csrf}, allow_redirects=False
        )
        assert done.status == 303 and done.headers["Location"] == "/?clinic=harbour"
        assert h.store.alert(emergency)["acknowledged_by"] == h.practitioner.id
        await h.settle()
        assert copy.text.endswith("Acknowledged by Dana Reyes at 10:11 GMT.") and copy.button(
            text="Seen in clinic"
        )
        html = await (await client.get("/")).text()
        assert _rows(html)[0] == ("contact_practitioner", str(older))  # the open one first now
        taken = html.split(f'id="alert-{emergency}"')[1].split("</tr>")[0]
        assert "Dana Reyes" in taken and "acknowledge" not in taken

        missing = await client.post("/alerts/999/acknowledge", data={"csrf": csrf})
        unknown = await client.post(f"/alerts/{older}/delete", data={"csrf": csrf})
        assert (missing.status, unknown.status) == (404, 404)


async def test_staff_of_another_clinic_see_and_do_nothing_of_it(make_bot):
    h = await make_bot(second_clinic=True)
    alert, patient = await open_alert(h)
    session = h.store.latest_session(h.store.patient_by_telegram(patient.id)["id"], "harbour")
    photo = h.store.add_photo(session["id"], None, None, "no-such-file", START)
    patient_id = session["patient_id"]
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.north_practitioner)
        mine = await client.get("/")
        assert mine.status == 200 and "North Clinic" in await mine.text()
        for path in (
            "/?clinic=harbour",
            "/patients?clinic=harbour",
            "/summary?clinic=harbour",
            "/summary/report.csv?clinic=harbour",
            "/summary/fhir.json?clinic=harbour",
            f"/patients/{patient_id}",
            f"/patients/{patient_id}?clinic=harbour",
            f"/patients/{patient_id}/chart.svg",
            f"/patients/{patient_id}/chart.svg?clinic=harbour",
            f"/photos/{photo}",
            f"/photos/{photo}?clinic=harbour",
        ):
            response = await client.get(path)
            assert response.status == 404, path
            assert "Ana" not in await response.text()
        refused = await client.post(f"/alerts/{alert}/acknowledge", data={"csrf": csrf})
        assert refused.status == 404 and h.store.alert(alert)["status"] == "open"
        assert "Ana" not in await (await client.get("/patients")).text()


async def test_the_timeline_shows_the_follow_up_its_chart_and_photos(make_bot):
    h = await make_bot()
    alert, patient = await open_alert(h)
    h.advance(60)
    await h.emu.send_photo(patient, data=b"\xff\xd8 the swollen calf" * 50)
    await h.idle()
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    async with web_client(h) as client:
        await sign_in(client, h, h.admin)
        html = await (await client.get(f"/patients/{patient_id}")).text()
        for seen in (
            f"Patient #{patient_id} Ana</h1>",
            "Check-in at 6 h",
            "Check-in at 48 h</strong> · answered",
            "Check-in at 72 h</strong> · not sent yet",
            "soreness: 7/10",
            "Wrote: <q>my &lt;b&gt;fingers&lt;/b&gt; tingle &amp; feel odd</q>",
            "Numbness or tingling in the arm",
            "[C10, N2]",
            "Needs review today",
            f'src="/patients/{patient_id}/chart.svg?clinic=harbour"',
        ):
            assert seen in html, seen
        chart = await client.get(f"/patients/{patient_id}/chart.svg")
        assert chart.status == 200 and chart.content_type == "image/svg+xml"
        assert (await chart.read()).lstrip().startswith(b"<?xml") and "Ana" in await chart.text()
        photo_id = h.store.photos(h.store.latest_session(patient_id)["id"])[-1]["id"]
        assert f'src="/photos/{photo_id}?clinic=harbour"' in html
        picture = await client.get(f"/photos/{photo_id}")
        assert picture.status == 200 and (await picture.read()).startswith(b"\xff\xd8 the swollen calf")
        assert picture.headers["Cache-Control"] == "private, no-store"
        lost = h.store.add_photo(h.store.latest_session(patient_id)["id"], None, None, "gone", h.clock())
        h.emu.allow_violations("invalid file_id")  # what Telegram says of a file it no longer has
        unavailable = await client.get(f"/photos/{lost}")
        assert unavailable.status == 502 and "This photo can't be shown now" in await unavailable.text()
        client.session.cookie_jar.clear()
        assert (await client.get(f"/photos/{photo_id}")).status == 401
        assert (await client.get(f"/patients/{patient_id}/chart.svg")).status == 401


async def test_patients_come_a_page_at_a_time(make_bot, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_ROWS", 1)
    h = await make_bot()
    await open_alert(h, patient_name="Ana")
    await open_alert(h, patient_name="Bea")
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        first = await (await client.get("/patients?status=active")).text()
        assert names(first) == ["Bea"] and "Previous page" not in first
        assert 'href="/patients?clinic=harbour&amp;status=active&amp;page=1" rel="next"' in first
        second = await (await client.get("/patients?status=active&page=1")).text()
        assert names(second) == ["Ana"] and "Next page" not in second and "Previous page" in second


async def test_patients_are_filtered_by_practitioner_and_status(make_bot):
    h = await make_bot()
    await open_alert(h, patient_name="Ana")
    await open_alert(h, patient_name="Bea", practitioner=False)
    bea = h.store.latest_session(h.store.export_patients("harbour")[-1]["id"])
    h.store.pause_session(bea["id"])
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        assert names(await (await client.get("/patients")).text()) == ["Bea", "Ana"]  # newest first
        mine = await client.get(f"/patients?practitioner={h.practitioner.id}")
        assert names(await mine.text()) == ["Ana"]
        paused = await (await client.get("/patients?status=paused")).text()
        assert names(paused) == ["Bea"] and "Paused" in paused
        assert names(await (await client.get("/patients?status=active")).text()) == ["Ana"]
        row = (await (await client.get("/patients")).text()).split("Ana</a>")[1].split("</tr>")[0]
        assert "Upper back, Calf" in row and "Needs review today" in row


async def test_the_summary_and_its_downloads_for_admins(make_bot):
    h = await make_bot()
    alert, _ = await open_alert(h)
    h.advance(300)
    h.store.acknowledge_alert(alert, h.admin.id, h.clock())
    async with web_client(h) as client:
        await sign_in(client, h, h.admin)
        html = await (await client.get("/summary?days=30")).text()
        assert "Answered check-ins by hour" in html and "6 h" in html and "1/1 (100%)" in html
        assert "Median time to acknowledge" in html and "5.0 min" in html
        assert "1 (acknowledged 1, open 0)" in html
        assert 'value="30" selected' in html
        csv = await client.get("/summary/report.csv?days=30")
        assert csv.status == 200 and csv.headers["Content-Disposition"].startswith("attachment")
        assert (await csv.text()).startswith("session_id,patient_id,")
        fhir = json.loads(await (await client.get("/summary/fhir.json")).text())
        assert fhir["resourceType"] == "Bundle" and len(fhir["entry"]) > 1
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        assert "Download CSV" not in await (await client.get("/summary")).text()
        assert (await client.get("/summary/report.csv")).status == 404
        assert (await client.get("/summary/fhir.json")).status == 404


async def test_the_pages_speak_the_clinics_language(make_bot):
    h = await make_bot(language="es")
    await open_alert(h)
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        html = await (await client.get("/")).text()
        assert '<html lang="es">' in html and "Alertas abiertas" in html and "Me encargo yo" in html


def test_every_check_in_status_has_its_words():
    assert {f"web_checkin_{status}" for status in CheckinStatus} <= set(REQUIRED_MESSAGES)


# ---- colours: WCAG AA (4.5:1 for text) for every pair the stylesheet uses


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


COLOURS = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", CSS.read_text()))
PAIRS = [
    ("text", "page"),
    ("text", "band"),
    ("muted", "page"),
    ("muted", "band"),
    ("link", "page"),
    ("top-text", "top"),
    ("top-text", "link"),
    ("emergency-text", "emergency"),
    ("contact-text", "contact"),
    ("normal-text", "normal"),
]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_colours_meet_wcag_aa(text, background):
    assert contrast(COLOURS[text], COLOURS[background]) >= 4.5


def test_the_focus_ring_stands_out():
    assert contrast(COLOURS["focus"], COLOURS["page"]) >= 3  # a non-text outline: 3:1


async def test_a_follow_up_without_a_score_has_no_chart(make_bot):
    h = await make_bot()
    token = h.enrol()
    patient = h.emu.add_user("Cy")
    await h.emu.send_text(patient, f"/start {token}")
    await h.emu.press_button(patient, await h.emu.wait_for_message(patient), text="Yes, I agree")
    await h.idle()
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        html = await (await client.get(f"/patients/{patient_id}")).text()
        assert "Check-in at 6 h" in html and "chart.svg" not in html
        assert (await client.get(f"/patients/{patient_id}/chart.svg")).status == 404


async def test_the_clinics_reference_names_the_patient_on_every_page(make_bot):
    h = await make_bot()
    alert, patient = await open_alert(h)
    session_id = h.store.alert(alert)["session_id"]
    h.store.db.execute("UPDATE sessions SET patient_ref = ? WHERE id = ?", ["A-77 <b>", session_id])
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    async with web_client(h) as client:
        await sign_in(client, h, h.admin)
        for path in ("/", "/patients", f"/patients/{patient_id}"):
            html = await (await client.get(path)).text()
            assert "A-77 &lt;b&gt;" in html and "A-77 <b>" not in html, path  # shown, and escaped
