"""Staff of one clinic see and act on their own clinic's follow-ups only (issue 12, point 1).

Zara was followed by Harbour (clinic A: her words, buckets, chart, a photo, an open alert), then
enrolled at North (clinic B) and stopped there; Quentin is Harbour's alone. North's practitioner
Noor, who also sits in Harbour's alert chat, walks every staff command, button and export. In
the "purged" case North's retention period has since erased its follow-up of Zara, so North
holds nothing of her at all.
"""

import io

import pytest

from bot.__main__ import main

from .harness import START
from .test_patient_journey import consent, write
from .test_staff_alert_rounds import follow_up
from .test_staff_telegram import press

HARBOURS = (
    "fingers",
    "tingle",
    "Quentin",
    "Needs review",
    "C10, N2",
    "Upper back",
    "6h 3",
    "tingling in the arm",
)
GROUP = -100_777
STEP_PACE = 3  # seconds between Noor's steps: her pace, within a group's 20 messages a minute


async def two_clinics(h, purged):
    """Harbour's follow-ups of Zara and Quentin, alerts out; Zara then at North and stopped."""
    emu = h.emu
    zara, quentin = emu.add_user("Zara"), emu.add_user("Quentin")
    ids = {}
    for user in (zara, quentin):
        session, assessment, _ = follow_up(
            h.services,
            practitioner=h.practitioner.id,
            first_name=user.first_name,
            treated_at=START - 49 * 3600,
            telegram_id=user.id,
        )
        if user is zara:
            await emu.send_photo(zara)  # kept with Harbour's follow-up
            await emu.wait_for_message(zara)
        ids[user.first_name] = h.store.add_alert(
            session, assessment, "harbour", "contact_practitioner", h.clock()
        )
    for _ in range(10):  # the alerts, charts and photo, paced a few seconds apart per chat
        await h.tick()
        h.advance(1)
    await h.idle()
    assert [m for m in emu.messages_to(GROUP) if m.photo]  # the chart and Zara's photo went to Harbour
    await consent(h, zara, clinic="north")
    await write(h, zara, "/stop")
    if purged:  # North keeps follow-ups for less time than Harbour
        h.advance(3600)
        assert h.store.purge_expired("north", h.clock()) == 1
    return zara, quentin, ids


def said(h, chats, since):
    """What the bot showed in `chats` after message `since[chat]`: texts, captions, photos."""
    out = []
    for chat in chats:
        for m in h.emu.messages_to(chat):
            if m.message_id > since.get(chat, 0):
                out.append(("[photo] " if m.photo else "") + (m.text or ""))
    return out


async def command(h, text, chat):
    await h.emu.send_text(h.north_practitioner, text, chat=chat)
    await h.idle()
    return []


async def forged(h, data, chat):
    """Noor presses a button carrying `data` under the last message she sees in `chat`."""
    message = h.emu.messages_to(chat)[-1]
    query = await press(h.emu, h.north_practitioner, message, data=data, forge=True)
    await h.idle()
    return [query.answer.get("text") or ""]


async def group_ack(h, data, chat):
    """Noor presses the real Acknowledge button under Harbour's alert in its alert chat."""
    alert = next(m for m in h.emu.messages_to(GROUP) if m.button(text="I'm handling it") and data in m.text)
    query = await press(h.emu, h.north_practitioner, alert, text="I'm handling it")
    await h.idle()
    return [query.answer.get("text") or ""]


async def cli(h, args, chat):
    out = io.StringIO()
    config = str(h.services.config.path)
    code = main([args[0], "--config", config, "--clinic", "north", *args[1:]], out=out)
    return [f"exit {code}", out.getvalue()]


def flow_of(h):
    """The number of Noor's /enrol flow, read from its buttons."""
    flow = next(m for m in reversed(h.emu.messages_to(h.north_practitioner)) if m.keyboard)
    return int(flow.buttons[0]["callback_data"].split(":")[1])


# (what Noor does, how, where: "me" her private chat, "group" Harbour's alert chat); {zara} and
# {quentin} are patient ids, {zara_alert} and {quentin_alert} Harbour's alerts, {flow} her /enrol.
STEPS = [
    ("/active", command, "me"),
    ("/alerts", command, "me"),
    ("/patient {zara}", command, "me"),
    ("/patient #{zara}", command, "me"),
    ("/patient {quentin}", command, "me"),
    ("/active", command, "group"),
    ("/alerts", command, "group"),
    ("/patient {zara}", command, "group"),
    ("/enrol", command, "me"),
    ("sec:{flow}:1", forged, "me"),  # a second clinic she is not staff of
    ("sea:{flow}:0", forged, "me"),  # a step her flow is not at
    ("sa:{zara_alert}:", forged, "me"),
    ("sa:{quentin_alert}:", forged, "me"),
    ("Zara", group_ack, "group"),  # the real button, in the chat she shares with Harbour
    ("Quentin", group_ack, "group"),
    (("report", "--since", "3650d", "--csv", "{tmp}/north.csv"), cli, None),
    (("export-fhir", "--out", "-"), cli, None),
    (("export-fhir", "--patient", "{zara}", "--out", "-"), cli, None),
    (("export-fhir", "--patient", "{quentin}", "--out", "-"), cli, None),
]


@pytest.mark.parametrize("purged", [False, True], ids=["stopped", "purged"])
async def test_another_clinics_staff_see_nothing_of_it_and_change_nothing(
    emulator, make_bot, tmp_path, purged
):
    group = emulator.add_group("Harbour on call", chat_id=GROUP)
    h = await make_bot(second_clinic=True, alert_chat_id=GROUP)
    noor = h.north_practitioner
    group.members.extend([h.practitioner, h.admin, noor])
    zara, quentin, alerts = await two_clinics(h, purged)
    values = {
        "zara": h.store.patient_by_telegram(zara.id)["id"],
        "quentin": h.store.patient_by_telegram(quentin.id)["id"],
        "zara_alert": alerts["Zara"],
        "quentin_alert": alerts["Quentin"],
        "tmp": tmp_path,
    }
    h.advance(60)
    tokens = h.store.db["enrol_tokens"].count
    to_dana = [m.text for m in h.emu.messages_to(h.practitioner)]
    north_sessions = {s["id"] for s in h.store.db["sessions"].rows_where("clinic_id = 'north'")}
    chats = {"me": noor.id, "group": GROUP}
    leaks = {}
    for what, how, where in STEPS:
        since = {
            chat: max([m.message_id for m in h.emu.messages_to(chat)], default=0) for chat in (noor.id, GROUP)
        }
        if "{flow}" in str(what):
            values["flow"] = flow_of(h)
        what = tuple(a.format(**values) for a in what) if how is cli else what.format(**values)
        h.advance(STEP_PACE)
        shown = await how(h, what, chats.get(where)) + said(h, (noor.id, GROUP), since)
        if how is cli and what[0] == "report":
            csv = (tmp_path / "north.csv").read_text()
            shown.append(csv)
            assert {int(line.split(",")[0]) for line in csv.splitlines()[1:]} <= north_sessions
        markers = HARBOURS + (("Zara",) if purged else ())
        found = [m for m in markers if any(m in text for text in shown)]
        found += [text[:40] for text in shown if text.startswith("[photo]")]
        if found:
            leaks[str(what)] = found
    assert leaks == {}
    for name in ("Zara", "Quentin"):
        assert h.store.alert(alerts[name])["status"] == "open"
    assert h.store.db["enrol_tokens"].count == tokens
    assert [m.text for m in h.emu.messages_to(h.practitioner)] == to_dana  # no acknowledgement edits


async def test_each_clinic_sees_its_own_follow_up_of_a_patient_they_share(emulator, make_bot):
    """The other side: Harbour still sees its own follow-up of Zara (words, buckets, chart and
    photo), not North's stopped one, nor the status she has since taken elsewhere."""
    emulator.add_group("Harbour on call", chat_id=GROUP)
    h = await make_bot(second_clinic=True, alert_chat_id=GROUP)
    zara, _, _ = await two_clinics(h, purged=False)
    pid = h.store.patient_by_telegram(zara.id)["id"]
    dana, noor = h.practitioner, h.north_practitioner
    for who in (dana, noor):
        await h.emu.send_text(who, f"/patient {pid}")
        await h.idle()
    harbour = list(h.emu.messages_to(dana))[-3:]
    assert harbour[0].text.startswith(f"Patient\n#{pid} Zara\nUpper back, Calf · Moderate · Running")
    assert "tingle" in harbour[0].text and "[C10, N2]" in harbour[0].text
    assert "opted_out" not in harbour[0].text
    assert [bool(m.photo) for m in harbour[1:]] == [True, True]  # the chart, then the photo
    north = h.emu.messages_to(noor)[-1]
    assert north.text.startswith(f"Patient\n#{pid} Zara · opted_out\nCalf · Moderate · first session")
    assert north.text.splitlines()[2].endswith("stopped") and "tingle" not in north.text
