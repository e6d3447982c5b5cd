"""The worklist as a Telegram Mini App: each request signed in by Telegram's initData (built
here the way Telegram documents it), scoped like a cookie session, framed by Telegram's web
clients alone; a tampered, stale or non-staff initData is refused."""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlencode

from bot.web.mini_app_csp import TELEGRAM_WEB_APP_JS, mini_app_policy
from bot.web.security import CSP, INIT_DATA_HEADER

from .test_staff_telegram import open_alert
from .web_helpers import sign_in, web_client


def init_data(h, user_id: int, signed_at: float | None = None, token: str | None = None) -> str:
    """initData as a Telegram client gets it (core.telegram.org/bots/webapps), signed here
    independently of bot/web/telegram_login.py."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Staff"}, separators=(",", ":")),
        "auth_date": str(int(h.clock() if signed_at is None else signed_at)),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", (token or h.app.bot.token).encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def signed_in(data: str) -> dict[str, str]:
    return {INIT_DATA_HEADER: data}


async def test_the_mini_app_page_loads_telegrams_script_and_may_be_framed_by_telegram(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        shell = await client.get("/app")
        html = await shell.text()
        assert shell.status == 200 and shell.headers["Content-Security-Policy"] == mini_app_policy()
        assert f'<script src="{TELEGRAM_WEB_APP_JS}"></script>' in html
        assert '<script src="/static/mini_app.js" defer></script>' in html
        script = await client.get("/static/mini_app.js")
        assert script.status == 200 and INIT_DATA_HEADER in await script.text()
        # Every other page keeps the strict policy: no script, no framing.
        for path in ("/", "/patients", "/signin/unknown"):
            assert (await client.get(path)).headers["Content-Security-Policy"] == CSP, path


async def test_staff_open_the_worklist_and_acknowledge_with_init_data(make_bot):
    h = await make_bot()
    emergency, patient = await open_alert(h, bucket="emergency", patient_name="Bea")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    mine = signed_in(init_data(h, h.practitioner.id))
    async with web_client(h) as client:
        page = await client.get("/", headers=mine)
        html = await page.text()
        assert page.status == 200 and f'id="alert-{emergency}"' in html and "Bea" in html
        assert page.headers["Content-Security-Policy"] == mini_app_policy()
        assert 'action="/signout"' not in html  # no session to end inside Telegram
        assert (await client.post("/signout", headers=mine)).status == 401
        timeline = await client.get(f"/patients/{patient_id}", headers=mine)
        assert timeline.status == 200 and "Bea" in await timeline.text()

        # No CSRF token: initData, in a header no other site can make a browser send, stands for it.
        done = await client.post(f"/alerts/{emergency}/acknowledge", headers=mine, allow_redirects=False)
        assert done.status == 303 and h.store.alert(emergency)["acknowledged_by"] == h.practitioner.id


async def test_a_tampered_stale_or_foreign_init_data_is_refused(make_bot, caplog):
    caplog.set_level(logging.INFO)
    h = await make_bot()
    alert, patient = await open_alert(h, patient_name="Ana")
    good = init_data(h, h.practitioner.id)
    refused = {
        "tampered": good.replace(str(h.practitioner.id), str(h.admin.id)),
        "stale": init_data(h, h.practitioner.id, signed_at=h.clock() - 3601),
        "another bot's": init_data(h, h.practitioner.id, token="654321:OTHER-BOT"),
        "outside Telegram": "",
    }
    async with web_client(h) as client:
        # A valid cookie beside a bad initData does not help: the header alone decides.
        csrf = await sign_in(client, h, h.practitioner)
        for name, data in refused.items():
            page = await client.get("/", headers=signed_in(data))
            html = await page.text()
            assert page.status == 401, name
            assert "open the worklist again from the menu button" in html and "Ana" not in html, name
            assert page.headers["Content-Security-Policy"] == mini_app_policy()
            post = await client.post(
                f"/alerts/{alert}/acknowledge", headers=signed_in(data), data={"csrf": csrf}
            )
            assert post.status == 401 and h.store.alert(alert)["status"] == "open", name
    refusals = [r.getMessage() for r in caplog.records if r.name == "bot.web.security"]
    assert {"mini app request refused: bad hash", "mini app request refused: stale"} <= set(refusals)
    assert not [line for line in refusals if str(h.practitioner.id) in line]  # the reason, never who


async def test_a_user_who_is_not_staff_is_refused(make_bot):
    h = await make_bot()
    alert, patient = await open_alert(h, patient_name="Ana")
    theirs = signed_in(init_data(h, patient.id))  # a real Telegram user, signed by Telegram
    async with web_client(h) as client:
        page = await client.get("/", headers=theirs)
        assert page.status == 401 and "Ana" not in await page.text()
        post = await client.post(f"/alerts/{alert}/acknowledge", headers=theirs)
        assert post.status == 401 and h.store.alert(alert)["status"] == "open"


async def test_staff_of_another_clinic_see_nothing_of_it_by_init_data(make_bot):
    h = await make_bot(second_clinic=True)
    alert, patient = await open_alert(h, patient_name="Ana")
    patient_id = h.store.patient_by_telegram(patient.id)["id"]
    north = signed_in(init_data(h, h.north_practitioner.id))
    async with web_client(h) as client:
        mine = await client.get("/", headers=north)
        assert mine.status == 200 and "North Clinic" in (html := await mine.text()) and "Ana" not in html
        for path in ("/?clinic=harbour", "/patients?clinic=harbour", f"/patients/{patient_id}"):
            response = await client.get(path, headers=north)
            assert response.status == 404 and "Ana" not in await response.text(), path
        refused = await client.post(f"/alerts/{alert}/acknowledge", headers=north)
        assert refused.status == 404 and h.store.alert(alert)["status"] == "open"
