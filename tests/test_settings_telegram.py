"""Settings from Telegram (issue 13, point 7), end to end on the real Application against the
emulator: an admin sees and changes their clinic's settings with /settings (presets, typed values
checked with the config file's own messages, reset), adds and removes staff with Telegram's user
picker, every change is audited and survives a restart; nobody else may see or change any of it."""

import pytest

from bot.guidance.config import ConfigError, load_config
from bot.services import settings as use

from .harness import running_bot, write_config
from .test_patient_journey import consent, session_of

STAFF_ONLY = "Sorry, I can't help with that."
ADMIN_ONLY = "Only an admin of your clinic can see or change its settings."
STALE = "Sorry, that button is no longer active. Please use the latest message."
PLANNED_KEEP = "New follow-ups use it; follow-ups already running keep the check-in times they were given."
AT_ONCE = "It counts from now on, for follow-ups already running too."


async def command(h, user, text):
    """Send a command and return the bot's reply once everything is handled."""
    h.advance(2)  # a person's pace: Telegram allows about one message a second per chat
    await h.emu.send_text(user, text)
    reply = await h.emu.wait_for_message(user)
    await h.idle()
    return reply


async def press(h, user, message, text=None, data=None, forge=False):
    """Press a button (by label, or forged data) and return the bot's next message to them."""
    h.advance(2)
    await h.emu.press_button(user, message, data, text=text, forge=forge)
    reply = await h.emu.wait_for_message(user)
    await h.idle()
    return reply


def hours_planned(h, user):
    return [row["hours"] for row in h.store.checkins(session_of(h, user)["id"])]


async def test_settings_show_the_values_in_force_and_a_preset_sets_the_next_enrolments_schedule(make_bot):
    h = await make_bot()
    emu, sam = h.emu, h.admin
    before = emu.add_user("Ana")
    await consent(h, before)  # a follow-up running before the change keeps its schedule

    shown = await command(h, sam, "/settings")
    assert shown.text.startswith("Settings · Harbour Physio")
    for line in ("checkins: 6h, 24h, 48h, 72h", "quiet_hours: 21:00-08:00", "reminder_after: 2h"):
        assert line in shown.text
    assert "✎" not in shown.text.split("\n\n")[0]  # nothing set in Telegram yet

    screen = await press(h, sam, shown, text="checkins")
    assert screen.text.startswith("checkins is 6h, 24h, 48h, 72h (config file: 6h, 24h, 48h, 72h).")
    done = await press(h, sam, screen, text="2h, 6h, 24h, 48h, 72h")
    assert done.text == f"✅ checkins is now 2h, 6h, 24h, 48h, 72h. {PLANNED_KEEP}"

    after = emu.add_user("Ben")
    await consent(h, after)
    assert hours_planned(h, after) == [2, 6, 24, 48, 72]
    assert hours_planned(h, before) == [6, 24, 48, 72]
    assert "checkins: 2h, 6h, 24h, 48h, 72h ✎" in (await command(h, sam, "/settings")).text
    [audit] = h.store.settings_audit("harbour")
    assert (audit["key"], audit["before"], audit["after"]) == (
        "checkins",
        "6h, 24h, 48h, 72h",
        "2h, 6h, 24h, 48h, 72h",
    )
    assert (audit["changed_by"], audit["changed_at"]) == (
        sam.id,
        h.store.db["clinic_settings"].get(("harbour", "checkins"))["changed_at"],
    )
    emu.assert_no_violations()


async def test_a_typed_value_is_checked_with_the_config_files_own_message(make_bot, tmp_path):
    h = await make_bot()
    sam = h.admin
    (tmp_path / "bad").mkdir()
    bad = write_config(
        tmp_path / "bad", h.emu.base_url, [(sam.id, "Sam", "admin")], quiet_hours="25:00-08:00"
    )
    with pytest.raises(ConfigError) as refused_by_file:
        load_config(bad)
    file_message = str(refused_by_file.value).split("quiet_hours: ", 1)[1]
    assert file_message == "'25:00-08:00': hours run 00-23 and minutes 00-59"

    refused = await command(h, sam, "/settings quiet_hours 25:00-08:00")
    assert refused.text == f"Not changed: quiet_hours: {file_message}"
    gap = await command(h, sam, "/settings reminder_after 30h")  # checked against the other keys too
    assert gap.text.startswith("Not changed: reminder_after: must be shorter than the smallest gap")
    assert h.store.settings_audit("harbour") == [] and h.clinic.quiet_hours is not None

    typed = await command(h, sam, "/settings quiet_hours 22:00-07:00")
    assert typed.text == f"✅ quiet_hours is now 22:00-07:00. {PLANNED_KEEP}"
    assert str(h.services.clinic("harbour").quiet_hours) == "22:00-07:00"  # in force without a restart
    off = await command(h, sam, "/settings quiet_hours off")
    assert (
        off.text.startswith("✅ quiet_hours is now off.") and h.services.clinic("harbour").quiet_hours is None
    )
    h.emu.assert_no_violations()


async def test_reset_returns_a_key_to_the_files_value(make_bot):
    h = await make_bot()
    sam = h.admin
    await command(h, sam, "/settings alert_renotify_after 15m")
    assert h.services.clinic("harbour").alert_renotify_after.total_seconds() == 15 * 60
    screen = await press(h, sam, await command(h, sam, "/settings"), text="alert_renotify_after")
    assert screen.text.startswith("alert_renotify_after is 15m (config file: 30m).")
    done = await press(h, sam, screen, text="↩ Back to the config file's value")
    assert done.text == f"✅ alert_renotify_after is back to the config file's value: 30m. {AT_ONCE}"
    assert h.services.clinic("harbour").alert_renotify_after.total_seconds() == 30 * 60
    assert h.store.clinic_settings() == {}
    audit = [(row["before"], row["after"]) for row in h.store.settings_audit("harbour")]
    assert audit == [("30m", "15m"), ("15m", "30m")]
    h.emu.assert_no_violations()


async def test_a_change_survives_a_restart(emulator, tmp_path):
    async with running_bot(emulator, tmp_path) as h:
        await command(h, h.admin, "/settings checkins 24h 48h 72h")
    async with running_bot(emulator, tmp_path) as again:  # the same database, a new process
        assert [d.total_seconds() / 3600 for d in again.clinic.checkins] == [24, 48, 72]
        shown = await command(again, again.admin, "/settings")
        assert "checkins: 24h, 48h, 72h ✎" in shown.text
        ana = emulator.add_user("Ana")
        await consent(again, ana)
        assert hours_planned(again, ana) == [24, 48, 72]
    emulator.assert_no_violations()


async def test_an_admin_adds_and_removes_a_staff_member_with_the_user_picker(make_bot):
    h = await make_bot()
    emu, sam = h.emu, h.admin
    lee = emu.add_user("Lee", last_name="Park")
    assert (await command(h, lee, "/active")).text == STAFF_ONLY

    staff = await press(h, sam, await command(h, sam, "/settings"), text="👥 Staff")
    assert "Dana Reyes" in staff.text and "Sam Okafor" in staff.text
    picker = await press(h, sam, staff, text="➕ Add")
    rows = picker.reply_markup["keyboard"]
    assert [b["text"] for row in rows for b in row] == ["Pick a practitioner", "Pick an admin", "Cancel"]
    request_id = rows[0][0]["request_users"]["request_id"]
    h.advance(2)
    await emu.share_users(sam, picker, request_id, [lee])
    added = await emu.wait_for_message(sam)
    await h.idle()
    assert added.text.startswith("✅ Lee Park is now staff of Harbour Physio (practitioner).")
    assert added.reply_markup == {"remove_keyboard": True}  # the picker goes
    assert h.services.clinic("harbour").staff_member(lee.id).role == "practitioner"
    assert (await command(h, lee, "/active")).text.startswith("Patients in follow-up")  # staff at once

    staff = await press(h, sam, await command(h, sam, "/settings"), text="👥 Staff")
    removed = await press(h, sam, staff, text="✖ Lee Park")
    assert removed.text == "✅ Lee Park is no longer staff of Harbour Physio."
    assert (await command(h, lee, "/active")).text == STAFF_ONLY
    audit = [(row["key"], row["before"], row["after"]) for row in h.store.settings_audit("harbour")]
    assert audit == [("staff", None, f"{lee.id} practitioner"), ("staff", f"{lee.id} practitioner", None)]

    # The last admin cannot be removed; an id typed in adds, as the picker does.
    staff = await press(h, sam, await command(h, sam, "/settings"), text="👥 Staff")
    last = await press(h, sam, staff, text="✖ Sam Okafor")
    assert last.text == "Not changed: the clinic needs at least one admin."
    typed = await command(h, sam, f"/settings staff_add {lee.id} admin Lee Park")
    assert typed.text.startswith("✅ Lee Park is now staff of Harbour Physio (admin).")
    assert (await command(h, lee, "/settings")).text.startswith("Settings · Harbour Physio")
    emu.assert_no_violations()


async def test_a_pick_after_cancel_or_from_a_stale_picker_changes_nothing(make_bot):
    h = await make_bot()
    emu, sam = h.emu, h.admin
    lee = emu.add_user("Lee")
    staff = await press(h, sam, await command(h, sam, "/settings"), text="👥 Staff")
    picker = await press(h, sam, staff, text="➕ Add")
    cancelled = await command(h, sam, "Cancel")
    assert cancelled.text == "Cancelled: nothing changed." and cancelled.reply_markup == {
        "remove_keyboard": True
    }
    assert (await command(h, sam, "Cancel")).text != cancelled.text  # with no picker on screen: a word
    h.advance(2)
    await emu.share_users(
        sam, picker, picker.reply_markup["keyboard"][0][0]["request_users"]["request_id"], [lee]
    )
    assert (await emu.wait_for_message(sam)).text == STALE
    await h.idle()
    assert not h.services.clinic("harbour").is_staff(lee.id)
    emu.assert_no_violations()


async def test_a_non_admin_another_clinics_admin_and_a_stranger_are_refused(make_bot):
    h = await make_bot(second_clinic=True)
    emu, dana, sam, noor = h.emu, h.practitioner, h.admin, h.north_practitioner
    use.add_staff(h.services, "north", noor.id, "Noor Haddad", "admin", by=0)  # north's admin
    stranger = emu.add_user("Max")

    assert (await command(h, dana, "/settings")).text == ADMIN_ONLY
    assert (await command(h, dana, "/settings checkins 1h 2h")).text == ADMIN_ONLY
    assert (await command(h, stranger, "/settings")).text == STAFF_ONLY
    north = await command(h, noor, "/settings")
    assert north.text.startswith("Settings · North Clinic") and "Harbour" not in north.text
    assert (await command(h, noor, "/settings harbour checkins 1h 2h")).text == ADMIN_ONLY

    # Harbour's preset button, forged under a message of their own: by north's admin stale (it
    # names a clinic not theirs), by a practitioner refused; a preset or clinic that is not there.
    harbour = await command(h, sam, "/settings")
    data = harbour.button(text="checkins")["callback_data"]
    preset = data.replace("sgk", "sgp").replace("checkins", "checkins.1")
    assert preset == "sgp:0:checkins.1"
    assert (await press(h, noor, north, data=preset, forge=True)).text == STALE
    dana_chat = h.emu.messages_to(dana)[-1]
    assert (await press(h, dana, dana_chat, data=preset, forge=True)).text == ADMIN_ONLY
    assert (await press(h, sam, harbour, data="sgp:0:checkins.99", forge=True)).text == STALE
    assert (await press(h, sam, harbour, data="sgp:7:checkins.1", forge=True)).text == STALE
    # In a group, even the admin's own press shows nothing: a notice on their screen alone.
    group = emu.add_group("Harbour team", members=(sam,))
    said = await emu.send_text(sam, "hello", chat=group)
    h.advance(2)
    query = await emu.press_button(sam, said, "sgk:0:checkins", forge=True)
    await emu.wait_for_call("answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query.id)
    await h.idle()
    assert query.answer["text"] == STALE and emu.messages_to(group) == []
    assert [d.total_seconds() for d in h.services.clinic("harbour").checkins] == [
        h * 3600 for h in (6, 24, 48, 72)
    ]
    assert h.store.settings_audit("harbour") == []
    emu.assert_no_violations()
