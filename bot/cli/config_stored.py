"""What `aftercare check-config` prints of the settings admins changed in Telegram (/settings):
each stored value beside the config file's, staff added or removed, and stored values the file
no longer accepts (the bot then keeps the file's until an admin changes or resets them).

Reads the database without changing it. Imports `bot.guidance` and `bot.store`."""

from __future__ import annotations

from bot.guidance.config import Config, ConfigError
from bot.guidance.settings import BY_KEY, effective, overlay, reason, shown
from bot.store.settings import stored_settings


def in_force(config: Config) -> Config:
    """The config as the bot applies it: the file's, with the settings stored from Telegram over it."""
    return effective(config, *stored_settings(config.storage.database))[0]


def stored_summary(config: Config) -> str:
    """One block per clinic with settings stored in the database; "" when there are none."""
    values, staff = stored_settings(config.storage.database)
    lines: list[str] = []
    for clinic in config.clinics:
        stored, changes = values.get(clinic.id, {}), staff.get(clinic.id, [])
        if not stored and not changes:
            continue
        lines += ["", f"{clinic.name} ({clinic.id}): set in Telegram, in force over this file until reset"]
        for key, value in sorted(stored.items()):
            setting = BY_KEY.get(key)
            file_value = setting.show(clinic) if setting else clinic.table.get(key)
            lines.append(f"  {key}: {shown(value) or 'none'} (config file: {shown(file_value) or 'none'})")
        for change in changes:
            what = "removed" if change.removed else f"added as {change.role}"
            lines.append(f"  staff: {change.name} ({change.telegram_id}) {what}")
        try:
            overlay(config, clinic.id, stored, changes)
        except ConfigError as error:
            lines.append(f"  not applied, the file's values are in force: {reason(error)}")
    return "\n".join(lines).lstrip("\n")
