"""Signing in to the web worklist from Telegram (/web), against the real Application and the
emulator: the link works once, for 10 minutes; the cookie is the session's; /web logout and
removing a staff member end it; every response carries a strict CSP."""

import logging
import re

from bot.services import settings, web_access
from bot.services.web_access import token_hash

from .web_helpers import CSRF, link_token, sign_in, turn_on_web, web_client

LINK = re.compile(r"http://127\.0\.0\.1:8080/signin/([A-Za-z0-9_-]{32})")


async def test_web_in_a_private_chat_gives_a_link_that_signs_in_once(make_bot, caplog):
    caplog.set_level(logging.INFO)
    h = await make_bot()
    async with web_client(h) as client:
        await h.emu.send_text(h.practitioner, "/web")
        message = await h.emu.wait_for_message(h.practitioner)
        assert message.text.startswith("Your sign-in link to the clinic worklist.")
        token = LINK.search(message.text).group(1)
        assert len(token) == 32  # 192 bits, base64url
        stored = h.store.db.execute("SELECT token_hash FROM web_links").fetchall()
        assert stored == [(token_hash(token),)]  # the hash only
        await h.settle()
        sent = h.store.db.execute("SELECT text FROM outbox WHERE status = 'sent'").fetchall()
        assert sent and not [text for (text,) in sent if token in text]  # the sent copy lost its link

        form = await client.get(f"/signin/{token}")
        assert form.status == 200 and "Sign in" in await form.text()
        assert web_access.link_open(h.services, token)  # looking at the link does not use it
        signed = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert signed.status == 303 and signed.headers["Location"] == "/"
        cookie = signed.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
        assert "Secure" not in cookie  # plain http on loopback
        page = await client.get("/")
        assert page.status == 200 and "Open alerts" in await page.text()

        logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
        assert "web sign-in: a practitioner of clinic harbour" in logged
        for private in (token, cookie.split("=", 1)[1].split(";")[0], str(h.practitioner.id), "Dana"):
            assert private not in logged

        client.session.cookie_jar.clear()
        again = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert again.status == 410 and "has been used or has expired" in await again.text()
        assert (await client.get(f"/signin/{token}")).status == 410
        assert (await client.get("/")).status == 401


async def test_a_link_expires_after_ten_minutes(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        token = link_token(web_access.issue_link(h.services, h.practitioner.id))
        h.advance(10 * 60)
        assert (await client.get(f"/signin/{token}")).status == 410
        refused = await client.post("/signin", data={"token": token}, allow_redirects=False)
        assert refused.status == 410 and "Set-Cookie" not in refused.headers
        forged = await client.post("/signin", data={"token": "x" * 32}, allow_redirects=False)
        assert forged.status == 410


async def test_a_session_lasts_twelve_hours(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        h.advance(12 * 3600 - 1)
        assert (await client.get("/")).status == 200
        h.advance(1)
        assert (await client.get("/")).status == 401


async def test_the_cookie_is_secure_behind_https(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        turn_on_web(h, public_url="https://aftercare.example.org")
        link = web_access.issue_link(h.services, h.admin.id)
        assert link.startswith("https://aftercare.example.org/signin/")
        signed = await client.post("/signin", data={"token": link_token(link)}, allow_redirects=False)
        assert "Secure" in signed.headers["Set-Cookie"]


async def test_web_logout_ends_every_session(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        await sign_in(client, h, h.practitioner)
        await h.emu.send_text(h.practitioner, "/web logout")
        reply = await h.emu.wait_for_message(h.practitioner)
        assert reply.text == "Signed out: your web sessions have ended (1)."
        assert (await client.get("/")).status == 401


async def test_a_removed_staff_members_cookie_no_longer_works(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.practitioner)
        settings.remove_staff(h.services, "harbour", h.practitioner.id, h.admin.id)
        for path in (
            "/",
            "/patients",
            "/patients/1",
            "/patients/1/chart.svg",
            "/photos/1",
            "/summary",
            "/summary/report.csv",
            "/summary/fhir.json",
        ):
            assert (await client.get(path)).status == 401, path
        for path in ("/alerts/1/acknowledge", "/signout"):
            assert (await client.post(path, data={"csrf": csrf})).status == 401, path
        assert h.store.db.execute("SELECT COUNT(*) FROM web_sessions").fetchone() == (0,)
        settings.add_staff(h.services, "harbour", h.practitioner.id, "Dana Reyes", "practitioner", h.admin.id)
        assert (await client.get("/")).status == 401  # added back: the old cookie stays ended


async def test_web_elsewhere_is_refused_and_web_off_says_so(make_bot):
    h = await make_bot()
    await h.emu.send_text(h.practitioner, "/web")
    off = await h.emu.wait_for_message(h.practitioner)
    assert off.text == "The web worklist isn't turned on for this bot."
    group = h.emu.add_group("On call", chat_id=-100_555)
    group.members.append(h.practitioner)
    turn_on_web(h)
    await h.emu.send_text(h.practitioner, "/web", chat=group)
    said = await h.emu.wait_for_message(group)
    assert said.text.startswith("Send /web to me in a private chat") and "/signin/" not in said.text
    assert h.store.db.execute("SELECT COUNT(*) FROM web_links").fetchone() == (0,)
    patient = h.emu.add_user("Pat")
    await h.emu.send_text(patient, "/web")
    assert "/signin/" not in (await h.emu.wait_for_message(patient)).text


async def test_every_response_has_a_strict_content_security_policy(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        responses = [await client.get(path) for path in ("/", "/static/style.css", "/nowhere")]
        csrf = await sign_in(client, h, h.admin)
        assert CSRF.fullmatch(f'name="csrf" value="{csrf}"')
        responses += [
            await client.get("/"),
            await client.get("/patients/999"),
            await client.post("/alerts/1/acknowledge", data={}),
            await client.post("/signin", data={"token": "nope"}),
        ]
        for response in responses:
            csp = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, response.url
            assert "script-src" not in csp  # no script at all
            assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_signing_out_ends_the_session_and_needs_the_form_token(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.practitioner)
        refused = await client.post("/signout", data={})
        assert refused.status == 403 and (await client.get("/")).status == 200
        out = await client.post("/signout", data={"csrf": csrf})
        assert out.status == 200 and "You're signed out" in await out.text()
        assert h.store.db.execute("SELECT COUNT(*) FROM web_sessions").fetchone() == (0,)
        assert (await client.get("/")).status == 401
