"""The warning-signs checklist takes every sign a patient has, on the real bot against the
emulator: a ticked sign is answered at once (an emergency with its instructions first), the
checklist keeps its buttons for more, each tick is triaged again with all the signs so far, and
"Done" closes it. A second, graver sign is never lost behind the first."""

from .test_one_tap_answers import checklist_first, labels, shown
from .test_patient_journey import consent, next_checkin, session_of, tap


def checkin_of(h, user):
    return h.store.latest_sent_checkin(session_of(h, user)["id"])


def ticked(message) -> list[str]:
    return [label for row in labels(message) for label in row if label.startswith("✅")]


async def test_a_contact_sign_then_an_emergency_sign_both_count(make_bot):
    """The tester's steps: "Hinchazón o calor" then "Me falta el aire" at the 6 h check-in."""
    h = await make_bot()
    eva = h.emu.add_user("Eva", language_code="es")
    await h.emu.start_deep_link(eva, h.enrol())
    await tap(h, eva, await h.emu.wait_for_message(eva), "Sí, acepto")
    await h.emu.wait_for_message(eva)
    checkin = await next_checkin(h, eva, 6)
    for label in ("5", "Moretón o puntos rojos", "Energía normal", "Hinchazón o calor"):
        await tap(h, eva, shown(h, eva, checkin), label)
    assert (await h.emu.wait_for_message(eva)).text.startswith("Contacta hoy")
    still = shown(h, eva, checkin)
    assert "Toca cada uno que tengas" in still.text
    assert ticked(still) == ["✅ Hinchazón o calor"] and labels(still)[-1] == ["Listo"]
    await tap(h, eva, still, "Me falta el aire")
    assert (await h.emu.wait_for_message(eva)).text.startswith("Llama al 999 ahora")  # before "Listo"
    assert ticked(shown(h, eva, checkin)) == ["✅ Me falta el aire", "✅ Hinchazón o calor"]
    alerts = h.store.open_alerts(h.clinic.id)  # the graver sign is a new alert, sent at once
    assert sorted(a["bucket"] for a in alerts) == ["contact_practitioner", "emergency"]
    cid = checkin_of(h, eva)["id"]
    assert h.store.checkin_answers(cid)["warning_signs"] == ["breathing", "swelling"]
    await tap(h, eva, shown(h, eva, checkin), "Listo")
    closing = await h.emu.wait_for_message(eva)
    assert closing.text.startswith("Anotado, gracias.") and "999" in closing.text  # the number again
    closed = shown(h, eva, checkin)
    assert closed.keyboard == [] and "Me falta el aire, Hinchazón, bulto o calor" in closed.text
    assert h.store.checkin(cid)["status"] == "answered"


async def test_a_second_sign_as_grave_as_the_first_joins_the_clinics_alert(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    for label in ("2", "No bruising", "Normal energy", "Swelling or heat"):
        await tap(h, ana, shown(h, ana, checkin), label)
    assert (await h.emu.wait_for_message(ana)).text.startswith("Please contact")
    before = len(h.emu.messages_to(ana))
    await tap(h, ana, shown(h, ana, checkin), "Fever or chills")
    assert len(h.emu.messages_to(ana)) == before  # nothing graver: the tick shows, no second outcome
    assert ticked(shown(h, ana, checkin)) == ["✅ Fever or chills", "✅ Swelling or heat"]
    cid = checkin_of(h, ana)["id"]
    buckets = [a["bucket"] for a in h.store.assessments(session_of(h, ana)["id"])]
    assert buckets == ["contact_practitioner"] * 2  # each tick triaged
    [alert] = h.store.open_alerts(h.clinic.id)  # one alert, grown with the fever
    assert h.store.checkin_answers(cid)["warning_signs"] == ["fever", "swelling"]
    await tap(h, ana, shown(h, ana, checkin), "Done")
    assert (await h.emu.wait_for_message(ana)).text == "Got it, thank you."
    closed = shown(h, ana, checkin)
    assert closed.keyboard == [] and "Fever or chills, Swelling, lump or heat" in closed.text
    assert h.store.checkin(cid)["status"] == "answered"


async def test_done_after_a_sign_asks_the_questions_still_to_come(make_bot, tmp_path):
    h = await make_bot(guidance_dir=str(checklist_first(tmp_path)))
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    for label in ("2", "No bruising", "Swelling or heat"):
        await tap(h, ana, shown(h, ana, checkin), label)
    assert (await h.emu.wait_for_message(ana)).text.startswith("Please contact")
    await tap(h, ana, shown(h, ana, checkin), "Done")
    asking = shown(h, ana, checkin)
    assert "How is your energy?" in asking.text
    assert labels(asking) == [["Normal energy"], ["A bit tired"], ["Too tired for my day"]]
    await tap(h, ana, asking, "Normal energy")
    assert (await h.emu.wait_for_message(ana)).text == "Got it, thank you."
    assert h.store.checkin(checkin_of(h, ana)["id"])["status"] == "answered"


async def test_the_open_checklist_is_stale_once_the_next_check_in_is_sent(make_bot):
    h = await make_bot()
    ana = h.emu.add_user("Ana")
    await consent(h, ana)
    checkin = await next_checkin(h, ana, 6)
    for label in ("2", "No bruising", "Normal energy", "Swelling or heat"):
        await tap(h, ana, shown(h, ana, checkin), label)
    await h.emu.wait_for_message(ana)
    old = checkin_of(h, ana)["id"]
    await next_checkin(h, ana, 24)
    await tap(h, ana, shown(h, ana, checkin), "Chest pain")
    assert (await h.emu.wait_for_message(ana)).text.startswith("Sorry, that button is no longer active")
    assert h.store.checkin_answers(old)["warning_signs"] == ["swelling"]  # the stale press changed nothing
