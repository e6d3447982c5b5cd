"""/settings: a clinic's admin sees and changes its settings and staff from Telegram.

- `/settings` shows each clinic the sender administers: every key of
  `bot.guidance.settings.SETTINGS` with its value (✎ when set here), a button each, and Staff;
- a key's button shows its presets and the reset; `/settings <key> <value>` (or
  `/settings <clinic> <key> <value>`) types a value as the config file writes it, `reset` the file's;
- Staff lists the members with a remove button each, Add (Telegram's user picker,
  KeyboardButtonRequestUsers: the pick comes back as a `users_shared` message) and the reset;
  `/settings staff_add <id> [admin]` and `/settings staff_remove <id>` do it by id.

Whoever is not an admin of the clinic now is refused, whatever they press or type; a press for
a clinic, key or value that is not (or no longer) there is stale. Button actions start with "sg"
and carry the clinic's place in the config. Imports `bot.services`, `bot.render`,
`bot.followup` and `bot.guidance`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from telegram import Chat, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.followup.status import MessageKind
from bot.guidance.config import Clinic, ConfigError
from bot.guidance.settings import BY_KEY, SETTINGS, reason, shown
from bot.render import html as render
from bot.render.html import Button, Safe, escape
from bot.services import settings as use
from bot.services.shared import Services
from bot.telegram import parts, replies
from bot.telegram.audience import PRIVATE, Audiences, ButtonHandler
from bot.telegram.context import AftercareContext
from bot.telegram.replies import staff_label as _label
from bot.telegram.replies import staff_text as _text

BUTTONS = r"^sg[a-z]*:"
KEY, PRESET, RESET, STAFF, REMOVE, ADD, STAFF_RESET = "sgk", "sgp", "sgr", "sgs", "sgx", "sga", "sgz"
PICK = "settings_pick"  # user_data: the user picker on screen, {"clinic": id, "roles": {request_id: role}}
EDITED = " ✎"
NO_KEYBOARD = {"remove_keyboard": True}
RESET_VALUE = object()  # "back to the config file's value", as opposed to any value the file may hold


def register(application: Application, audience: Audiences) -> None:
    """Add the settings handlers (before the staff's and the patient's, whose patterns they share)."""
    application.add_handler(CommandHandler("settings", settings_command, filters=PRIVATE & audience.staff))
    application.add_handler(CommandHandler("settings", refuse_command))
    application.add_handler(ButtonHandler(button, BUTTONS, audience.staff))
    picked = filters.StatusUpdate.USERS_SHARED & PRIVATE & audience.staff
    application.add_handler(MessageHandler(picked, users_shared))
    services: Services = application.bot_data["services"]
    cancels = {  # the Cancel button's label in every language a clinic's guidance ships
        render.plain(render.message(guidance, "settings_cancel_button", language))
        for guidance in services.guidance_by_clinic.values()
        for language in guidance.messages
    }
    picking = filters.Text(sorted(cancels)) & PRIVATE & audience.staff & Picking(application)
    application.add_handler(MessageHandler(picking, cancel))


class Picking(filters.UpdateFilter):
    """The sender has the user picker on screen: only then is their "Cancel" the picker's."""

    def __init__(self, application: Application):
        super().__init__(name="Picking")
        self.application = application

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and PICK in self.application.user_data.get(user.id, {})


async def refuse_command(update: Update, context: AftercareContext) -> None:
    """/settings from someone who is not staff, or in a group: the staff refusal."""
    await replies.reply_kindly(context, update, "staff_only")


# ---- /settings -----------------------------------------------------------------------------


async def settings_command(update: Update, context: AftercareContext) -> None:
    """Show the settings of each clinic the sender administers, or change one typed after it."""
    services, user_id = context.services, parts.sender(update).id
    clinics = use.admin_clinics(services, user_id)
    if not clinics:
        return await _say(services, update, _text(services, _own(services, user_id), "settings_admin_only"))
    args = list(context.args or [])
    if args and args[0] in {c.id for c in services.config.clinics} - {c.id for c in clinics}:
        return await _say(services, update, _text(services, clinics[0], "settings_admin_only"))
    chosen = next((c for c in clinics if args and args[0] == c.id), None)
    if chosen is not None:
        args = args[1:]
    clinic = chosen or clinics[0]
    if not args:
        for shown_clinic in [clinic] if chosen else clinics:
            await _overview(services, update, shown_clinic)
    elif args[0] in BY_KEY and len(args) > 1:
        await _typed(services, update, clinic, args[0], " ".join(args[1:]))
    elif args[0] in ("staff_add", "staff_remove") and len(args) > 1:
        await _typed_staff(services, update, clinic, args)
    else:
        keys = ", ".join(setting.key for setting in SETTINGS)
        await _say(services, update, _text(services, clinic, "settings_usage", keys=keys))


async def _overview(services: Services, update: Update, clinic: Clinic) -> None:
    index = services.config.clinics.index(clinic)
    off = _text(services, clinic, "settings_off")
    lines = [
        f"<b>{escape(line.setting.key)}</b>: {escape(line.value or off)}{EDITED if line.stored else ''}"
        for line in use.lines(services, clinic)
    ]
    text = _text(services, clinic, "settings_header", clinic_name=clinic.name, lines=Safe("\n".join(lines)))
    rows = [[(s.key, Button(KEY, index, s.key).pack())] for s in SETTINGS]
    rows.append([(_label(services, clinic, "settings_staff_button"), Button(STAFF, index).pack())])
    await _say(services, update, text, render.keyboard(rows))


async def _typed(services: Services, update: Update, clinic: Clinic, key: str, text: str) -> None:
    """A value typed after the key, read as the config file would read it; `reset`: the file's."""
    if text.strip().lower() == "reset":
        return await _apply(services, update, clinic, key, RESET_VALUE)
    await _apply(services, update, clinic, key, BY_KEY[key].read(text.strip()))


async def _apply(services: Services, update: Update, clinic: Clinic, key: str, value: Any) -> None:
    """Set `key` to `value` (RESET_VALUE: the file's); say what is now in force, or the config
    file's reason for refusing it."""
    user_id = parts.sender(update).id
    try:
        if value is RESET_VALUE:
            after = use.reset(services, clinic.id, key, user_id)
        else:
            after = use.change(services, clinic.id, key, value, user_id)
    except ConfigError as error:
        return await _say(services, update, _text(services, clinic, "settings_refused", reason=reason(error)))
    shown_value = BY_KEY[key].show(after) or _text(services, clinic, "settings_off")
    done = "settings_reset_done" if value is RESET_VALUE else "settings_saved"
    when = _text(services, after, f"settings_applies_{BY_KEY[key].applies}")
    await _say(services, update, _text(services, after, done, setting=key, value=shown_value, when=when))


async def _say(services: Services, update: Update, text: str, markup: dict | None = None) -> None:
    await services.say(parts.chat(update).id, MessageKind.STAFF, text, markup)


def _own(services: Services, user_id: int) -> Clinic | None:
    """The clinic whose words a refusal uses: the sender's first."""
    clinics = services.staff_clinics(user_id)
    return clinics[0] if clinics else None


# ---- buttons -------------------------------------------------------------------------------


async def button(update: Update, context: AftercareContext) -> None:
    """Every /settings button, checked against the clinic's admins now; anything else is stale."""
    services, user_id = context.services, parts.sender(update).id
    pressed = render.unpack(parts.press(update).data)
    clinics = services.config.clinics
    clinic = None
    private = parts.chat(update).type == Chat.PRIVATE  # a clinic's settings never show in a group
    if pressed is not None and private and pressed.row_id < len(clinics):
        clinic = use.administered(services, user_id, clinics[pressed.row_id].id)
    if pressed is None or clinic is None:
        # an admin of another clinic pressing this one's button kept or forged it: stale
        if pressed is not None and not use.admin_clinics(services, user_id):
            refusal = _text(services, _own(services, user_id), "settings_admin_only")
            return await replies.reply_kindly(context, update, refusal)
        return await replies.reply_kindly(context, update, "stale_button")
    await replies.answer_press(context, update)
    handled = await _press(services, update, context, clinic, pressed)
    if not handled:
        await replies.reply_kindly(context, update, _text(services, clinic, "stale_button"))


async def _press(
    services: Services, update: Update, context: AftercareContext, clinic: Clinic, pressed: Button
) -> bool:
    """Act on a press from an admin of `clinic`; False when its value is not (or no longer) valid."""
    action, value = pressed.action, pressed.value
    key, _, preset = value.partition(".")
    if action == KEY and key in BY_KEY:
        await _key_screen(services, update, clinic, key)
    elif action == PRESET and key in BY_KEY and preset.isdigit() and int(preset) < len(BY_KEY[key].presets):
        await _apply(services, update, clinic, key, BY_KEY[key].presets[int(preset)])
    elif action == RESET and key in BY_KEY:
        await _apply(services, update, clinic, key, RESET_VALUE)
    elif action == STAFF and not value:
        await _staff_screen(services, update, clinic)
    elif action == REMOVE and value.isdigit():
        await _remove(services, update, clinic, int(value))
    elif action == ADD and not value:
        await _picker(services, update, context, clinic)
    elif action == STAFF_RESET and not value:
        await _change_staff(
            services, update, clinic, lambda: use.reset_staff(services, clinic.id, _by(update))
        )
    else:
        return False
    return True


async def _key_screen(services: Services, update: Update, clinic: Clinic, key: str) -> None:
    setting, index = BY_KEY[key], services.config.clinics.index(clinic)
    off = _text(services, clinic, "settings_off")
    file_clinic = services.file_config.clinic(clinic.id)
    text = _text(
        services,
        clinic,
        "settings_key",
        setting=key,
        value=setting.show(clinic) or off,
        file_value=setting.show(file_clinic) or off,
        example=shown(setting.presets[0] if setting.presets else setting.show(clinic)) or "off",
    )
    rows = [
        [(shown(preset) or off, Button(PRESET, index, f"{key}.{i}").pack())]
        for i, preset in enumerate(setting.presets)
    ]
    rows.append([(_label(services, clinic, "settings_reset_button"), Button(RESET, index, key).pack())])
    await _say(services, update, text, render.keyboard(rows))


# ---- staff ---------------------------------------------------------------------------------


async def _staff_screen(services: Services, update: Update, clinic: Clinic) -> None:
    index = services.config.clinics.index(clinic)
    members = "\n".join(
        f"{escape(m.name)} · {m.telegram_id} · {escape(_role(services, clinic, m.role))}"
        for m in clinic.staff
    )
    text = _text(services, clinic, "settings_staff", clinic_name=clinic.name, members=Safe(members))
    rows = [[(f"✖ {m.name}", Button(REMOVE, index, str(m.telegram_id)).pack())] for m in clinic.staff]
    rows.append([(_label(services, clinic, "settings_staff_add_button"), Button(ADD, index).pack())])
    rows.append(
        [(_label(services, clinic, "settings_staff_reset_button"), Button(STAFF_RESET, index).pack())]
    )
    await _say(services, update, text, render.keyboard(rows))


async def _picker(services: Services, update: Update, context: AftercareContext, clinic: Clinic) -> None:
    """Telegram's user picker, one button per role; the pick comes back as `users_shared`."""
    first = secrets.randbelow(2**31 - 2)
    context.user_state[PICK] = {"clinic": clinic.id, "roles": {first: "practitioner", first + 1: "admin"}}
    pickers = [
        [
            {
                "text": _label(services, clinic, f"settings_pick_{role}_button"),
                "request_users": _request(request_id),
            }
        ]
        for request_id, role in ((first, "practitioner"), (first + 1, "admin"))
    ]
    cancel = [{"text": _label(services, clinic, "settings_cancel_button")}]
    markup = {"keyboard": [*pickers, cancel], "resize_keyboard": True, "one_time_keyboard": True}
    await _say(services, update, _text(services, clinic, "settings_pick_user"), markup)


def _request(request_id: int) -> dict[str, Any]:
    return {"request_id": request_id, "user_is_bot": False, "max_quantity": 1, "request_name": True}


async def users_shared(update: Update, context: AftercareContext) -> None:
    """The user picked with the picker: added with the role of the button used."""
    services, shared = context.services, parts.message(update).users_shared
    pick = context.user_state.pop(PICK, None)
    role: str | None = pick["roles"].get(shared.request_id) if pick and shared else None
    clinic = use.administered(services, _by(update), pick["clinic"]) if pick and role else None
    if clinic is None or role is None or not shared or not shared.users:
        text = _text(services, _own(services, _by(update)), "stale_button")
        return await _say(services, update, text, NO_KEYBOARD)
    user = shared.users[0]
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or str(user.user_id)
    add = lambda: use.add_staff(services, clinic.id, user.user_id, name, role, _by(update))  # noqa: E731
    await _change_staff(services, update, clinic, add, user.user_id)


async def cancel(update: Update, context: AftercareContext) -> None:
    """Cancel under the user picker: it goes, nothing changes."""
    services = context.services
    context.user_state.pop(PICK, None)
    await _say(
        services, update, _text(services, _own(services, _by(update)), "settings_cancelled"), NO_KEYBOARD
    )


async def _typed_staff(services: Services, update: Update, clinic: Clinic, args: list[str]) -> None:
    """`staff_add <id> [admin|practitioner] [name]` or `staff_remove <id>`."""
    if not args[1].isdigit():
        text = _text(services, clinic, "settings_usage", keys=", ".join(s.key for s in SETTINGS))
        return await _say(services, update, text)
    telegram_id = int(args[1])
    if args[0] == "staff_remove":
        return await _remove(services, update, clinic, telegram_id)
    role = args[2] if len(args) > 2 and args[2] in ("admin", "practitioner") else "practitioner"
    name = " ".join(args[3:] if len(args) > 2 and args[2] == role else args[2:]) or str(telegram_id)
    add = lambda: use.add_staff(services, clinic.id, telegram_id, name, role, _by(update))  # noqa: E731
    await _change_staff(services, update, clinic, add, telegram_id)


async def _remove(services: Services, update: Update, clinic: Clinic, telegram_id: int) -> None:
    member = clinic.staff_member(telegram_id)
    if member is None:
        return await _say(services, update, _text(services, clinic, "settings_staff_unknown"))
    remove = lambda: use.remove_staff(services, clinic.id, telegram_id, _by(update))  # noqa: E731
    await _change_staff(services, update, clinic, remove, telegram_id, member.name)


async def _change_staff(
    services: Services,
    update: Update,
    clinic: Clinic,
    change: Callable[[], Clinic],
    telegram_id: int | None = None,
    removed: str | None = None,
) -> None:
    """Make a staff change; say who is (or is no longer) staff, or why not."""
    try:
        after = change()
    except ConfigError as error:
        text = _text(services, clinic, "settings_refused", reason=reason(error))
    except use.NoAdminLeft:
        text = _text(services, clinic, "settings_last_admin")
    else:
        member = after.staff_member(telegram_id) if telegram_id is not None else None
        if removed is not None:
            text = _text(services, after, "settings_staff_removed", name=removed, clinic_name=after.name)
        elif member is not None:
            role = _role(services, after, member.role)
            text = _text(
                services, after, "settings_staff_added", name=member.name, role=role, clinic_name=after.name
            )
        else:
            text = _text(services, after, "settings_staff_reset_done")
    await _say(
        services, update, text, NO_KEYBOARD if update.message and update.message.users_shared else None
    )


def _role(services: Services, clinic: Clinic, role: str) -> str:
    return _label(services, clinic, f"settings_role_{role}")


def _by(update: Update) -> int:
    return parts.sender(update).id
