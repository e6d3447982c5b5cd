"""Clinic settings from Telegram as use cases: who may change them, what they are, a change,
a reset, and staff added or removed.

Only an admin of a clinic (in the config in force) may see or change its settings. Every value
is checked by the config file's own checks (`bot.guidance.settings.overlay`), stored with its
audit row in one transaction, and in force at once (`Services.settings_changed`): check-ins
are planned from it at the next consent; those already planned keep their times.
Imports `bot.guidance` and the store through `Services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.guidance.config import ROLES, Clinic
from bot.guidance.settings import BY_KEY, SETTINGS, Setting, StaffChange, overlay
from bot.services import web_access

if TYPE_CHECKING:
    from bot.services.shared import Services


class NoAdminLeft(ValueError):
    """A staff change that would leave the clinic without an admin, and so without /settings."""


@dataclass(frozen=True)
class Line:
    """A setting as /settings shows it: the value in force, and whether Telegram set it."""

    setting: Setting
    value: str | None
    stored: bool


def admin_clinics(services: Services, telegram_id: int) -> list[Clinic]:
    """The clinics this Telegram user is an admin of, in the config in force."""
    return [c for c in services.config.clinics if (m := c.staff_member(telegram_id)) and m.role == "admin"]


def administered(services: Services, telegram_id: int, clinic_id: str) -> Clinic | None:
    """The clinic, if this user is its admin now (a press may come after their role changed)."""
    return next((c for c in admin_clinics(services, telegram_id) if c.id == clinic_id), None)


def lines(services: Services, clinic: Clinic) -> list[Line]:
    stored = services.store.clinic_settings().get(clinic.id, {})
    return [Line(s, s.show(clinic), s.key in stored) for s in SETTINGS]


def change(services: Services, clinic_id: str, key: str, value: Any, by: int) -> Clinic:
    """Store `key` = `value` (the file's form) for the clinic; ConfigError, with the file's
    message, when the file would refuse it."""
    setting = BY_KEY[key]
    before = services.config.clinic(clinic_id)
    after = _overlay(services, clinic_id, {key: value})
    audit = (setting.show(before), setting.show(after))
    services.store.set_clinic_setting(clinic_id, key, value, audit, by, services.now())
    services.settings_changed()
    return after


def reset(services: Services, clinic_id: str, key: str, by: int) -> Clinic:
    """Back to the config file's value of `key`; ConfigError when it no longer fits the other
    values set in Telegram (a reminder longer than the file's gap between check-ins)."""
    setting = BY_KEY[key]
    before = services.config.clinic(clinic_id)
    after = _overlay(services, clinic_id, {}, drop=key)
    audit = (setting.show(before), setting.show(after))
    services.store.reset_clinic_setting(clinic_id, key, audit, by, services.now())
    services.settings_changed()
    return after


def add_staff(services: Services, clinic_id: str, telegram_id: int, name: str, role: str, by: int) -> Clinic:
    """Add a staff member (or give one another role); ConfigError as the file's staff list would."""
    member = StaffChange(telegram_id, name, role if role in ROLES else ROLES[0], False)
    return _change_staff(services, clinic_id, member, by)


def remove_staff(services: Services, clinic_id: str, telegram_id: int, by: int) -> Clinic:
    """Remove a staff member; NoAdminLeft when they are the clinic's last admin."""
    member = services.config.clinic(clinic_id).staff_member(telegram_id)
    if member is None:
        raise KeyError(telegram_id)
    return _change_staff(services, clinic_id, StaffChange(telegram_id, member.name, member.role, True), by)


def reset_staff(services: Services, clinic_id: str, by: int) -> Clinic:
    """Back to the config file's staff list."""
    before = services.config.clinic(clinic_id)
    after = _overlay(services, clinic_id, {}, staff=[])
    _check_admin(after)
    audit = (_staff_text(before), _staff_text(after))
    services.store.reset_clinic_staff(clinic_id, audit, by, services.now())
    services.settings_changed()
    for member in before.staff:
        if not after.is_staff(member.telegram_id):
            web_access.revoke(services, member.telegram_id)
    return after


def _change_staff(services: Services, clinic_id: str, member: StaffChange, by: int) -> Clinic:
    before = services.config.clinic(clinic_id)
    changes = [
        c for c in services.store.clinic_staff().get(clinic_id, []) if c.telegram_id != member.telegram_id
    ]
    after = _overlay(services, clinic_id, {}, staff=[*changes, member])
    _check_admin(after)
    was, now = before.staff_member(member.telegram_id), after.staff_member(member.telegram_id)
    audit = (_member_text(was), _member_text(now))
    row = (member.telegram_id, member.name, member.role, member.removed)
    services.store.set_clinic_staff(clinic_id, row, audit, by, services.now())
    services.settings_changed()
    if member.removed:  # their web sessions end with their place on the staff
        web_access.revoke(services, member.telegram_id)
    return after


def _overlay(
    services: Services,
    clinic_id: str,
    values: dict[str, Any],
    drop: str | None = None,
    staff: list[StaffChange] | None = None,
) -> Clinic:
    """The clinic with the stored values and staff changes, then these, over the file's."""
    stored = {k: v for k, v in services.store.clinic_settings().get(clinic_id, {}).items() if k != drop}
    changes = services.store.clinic_staff().get(clinic_id, []) if staff is None else staff
    return overlay(services.file_config, clinic_id, {**stored, **values}, changes)


def _check_admin(clinic: Clinic) -> None:
    if not any(member.role == "admin" for member in clinic.staff):
        raise NoAdminLeft(clinic.id)


def _member_text(member: Any) -> str | None:
    """A staff member in the audit: their id and role (their name is in the staff list)."""
    return None if member is None else f"{member.telegram_id} {member.role}"


def _staff_text(clinic: Clinic) -> str:
    return ", ".join(f"{m.telegram_id} {m.role}" for m in clinic.staff)
