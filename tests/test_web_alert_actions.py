"""Closing an alert with an outcome and a note, and messaging the patient, from the web: the same
lifecycle services as the Telegram buttons (the copies in Telegram follow, the patient gets the
signed message), the CSRF token checked, and nothing done for another clinic's staff."""

import pytest

from bot.web.pages import WORDS_LIMIT

from .test_staff_telegram import open_alert
from .web_helpers import sign_in, web_client


async def taken_alert(h, client):
    """An alert Dana took from the worklist, the copy of it in her chat, and its patient."""
    alert, patient = await open_alert(h, patient_name="Ana")
    await h.tick()
    copy = await h.emu.wait_for_message(h.practitioner, lambda m: "Ana" in (m.text or ""))
    csrf = await sign_in(client, h, h.practitioner)
    await client.post(f"/alerts/{alert}/acknowledge", data={"csrf": csrf}, allow_redirects=False)
    await h.settle()
    return alert, patient, copy, csrf


async def test_closing_with_an_outcome_and_a_note_from_the_page(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        alert, _, copy, csrf = await taken_alert(h, client)
        worklist = await (await client.get("/")).text()
        assert f'href="/alerts/{alert}?clinic=harbour">Close or message</a>' in worklist
        form = await (await client.get(f"/alerts/{alert}")).text()
        assert 'value="seen_in_clinic" required> Seen in clinic' in form and "Note for the record" in form
        assert "I'll send it signed “Dana Reyes, Harbour Physio”" in form

        h.advance(600)
        data = {"csrf": csrf, "outcome": "seen_in_clinic", "words": " Checked <in person> "}
        done = await client.post(f"/alerts/{alert}/close", data=data, allow_redirects=False)
        assert done.status == 303 and done.headers["Location"] == "/?clinic=harbour"
        row = h.store.alert(alert)
        assert (row["status"], row["outcome"], row["closed_by"], row["note"]) == (
            "closed",
            "seen_in_clinic",
            h.practitioner.id,
            "Checked <in person>",
        )
        await h.settle()
        assert "Closed by Dana Reyes at 10:10 GMT: Seen in clinic." in copy.text
        assert not [m for m in h.emu.messages_to(h.practitioner) if m.text.startswith("📝")]  # no prompt
        assert f'id="alert-{alert}"' not in await (await client.get("/")).text()
        assert (await client.get(f"/alerts/{alert}")).status == 404  # closed: off the worklist

        again = await client.post(f"/alerts/{alert}/close", data={**data, "outcome": "no_answer"})
        assert again.status == 200 and "Already closed by Dana Reyes" in await again.text()
        assert h.store.alert(alert)["outcome"] == "seen_in_clinic"


async def test_an_open_alert_is_taken_before_it_is_closed(make_bot):
    h = await make_bot()
    alert, _ = await open_alert(h)
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.practitioner)
        form = await (await client.get(f"/alerts/{alert}")).text()
        assert f'action="/alerts/{alert}/acknowledge"' in form and "/close" not in form
        early = await client.post(f"/alerts/{alert}/close", data={"csrf": csrf, "outcome": "no_answer"})
        assert "Please press “I'm handling it” first." in await early.text()
        await client.post(f"/alerts/{alert}/acknowledge", data={"csrf": csrf})
        forged = await client.post(f"/alerts/{alert}/close", data={"csrf": csrf, "outcome": "fixed"})
        assert "that button is no longer active" in await forged.text()
        assert h.store.alert(alert)["status"] == "acknowledged"


async def test_messaging_the_patient_from_the_page_sends_it_signed(make_bot):
    h = await make_bot()
    async with web_client(h) as client:
        alert, patient, _, csrf = await taken_alert(h, client)
        empty = await client.post(f"/alerts/{alert}/message", data={"csrf": csrf, "words": "  "})
        assert "Please write the message first." in await empty.text()
        long = await client.post(
            f"/alerts/{alert}/message", data={"csrf": csrf, "words": "x" * (WORDS_LIMIT + 1)}
        )
        assert f"at most {WORDS_LIMIT} characters" in await long.text()

        words = "Please come in at 3 <today>"
        sent = await client.post(f"/alerts/{alert}/message", data={"csrf": csrf, "words": words})
        html = await sent.text()
        assert sent.status == 200 and "✉️ Sent to Ana (#" in html
        assert "Please come in at 3 &lt;today&gt;" in html  # the staff member's words, escaped
        message = await h.emu.wait_for_message(patient, lambda m: m.text.startswith("Message from"))
        assert message.text == "Message from Dana Reyes, Harbour Physio:\n\nPlease come in at 3 <today>"
        session = h.store.alert(alert)["session_id"]
        assert [m["text"] for m in h.store.staff_messages(session)] == [words]


@pytest.mark.parametrize("action", ["close", "message"])
async def test_the_actions_refuse_another_clinic_and_a_missing_token(make_bot, action):
    h = await make_bot(second_clinic=True)
    alert, patient = await open_alert(h)
    h.store.acknowledge_alert(alert, h.practitioner.id, h.clock())
    data = {"outcome": "no_answer", "words": "hello"}
    async with web_client(h) as client:
        csrf = await sign_in(client, h, h.north_practitioner)
        assert (await client.get(f"/alerts/{alert}")).status == 404
        assert (await client.get(f"/alerts/{alert}?clinic=harbour")).status == 404
        refused = await client.post(f"/alerts/{alert}/{action}", data={**data, "csrf": csrf})
        assert refused.status == 404 and "Ana" not in await refused.text()
        client.session.cookie_jar.clear()
        csrf = await sign_in(client, h, h.practitioner)
        forged = await client.post(f"/alerts/{alert}/{action}", data=data)
        assert forged.status == 403
        client.session.cookie_jar.clear()
        signed_out = await client.post(f"/alerts/{alert}/{action}", data={**data, "csrf": csrf})
        assert signed_out.status == 401
    await h.settle()
    assert h.store.alert(alert)["status"] == "acknowledged"
    assert h.store.staff_messages(h.store.alert(alert)["session_id"]) == []
    assert not [m for m in h.emu.messages_to(patient) if m.text.startswith("Message from")]
