"""What `aftercare check-config` prints: the config as the bot will apply it."""

from __future__ import annotations

from datetime import datetime

from bot.followup.schedule import plan_checkins
from bot.guidance.config import TOKEN_ENV, Clinic, Config
from bot.guidance.durations import format_duration


def summarise(config: Config, now: datetime) -> str:
    """Describe every clinic, with the check-ins of a session treated `now` in local time."""
    token_file = config.telegram.token_file
    token = TOKEN_ENV + (f", else {token_file}" if token_file else "")
    lines = [
        f"Config: {config.path}",
        f"Telegram API: {config.telegram.api_base_url} (token from {token})",
        f"Updates: {_updates(config)}",
        f"Database: {config.storage.database}",
        "Web worklist: "
        + (
            f"{config.web.base_url} (listens on {config.web.host}:{config.web.port})"
            if config.web.enabled
            else "off"
        ),
    ]
    for clinic in config.clinics:
        lines += ["", *_clinic(clinic, now)]
    return "\n".join(lines)


def _updates(config: Config) -> str:
    telegram = config.telegram
    if telegram.mode != "webhook":
        return "polling"
    if config.web.enabled:  # one server: the worklist's carries the webhook (webhook_listen unused)
        served = f"by the web worklist on {config.web.host}:{config.web.port}"
    else:
        served = "on {}:{}".format(*telegram.webhook_listen)
    return f"webhook at {telegram.webhook_url} (served {served})"


def _clinic(clinic: Clinic, now: datetime) -> list[str]:
    # A sped-up demo clock sends at real times `clock_speed` times sooner; show those.
    stamp = "%a %d %b %H:%M" + (":%S" if clinic.clock_speed != 1 else "") + " %Z"
    offsets = [offset / clinic.clock_speed for offset in clinic.checkins]
    plan = plan_checkins(now, offsets, clinic.timezone, clinic.quiet_hours)
    lines = [
        f"{clinic.name} ({clinic.id})",
        f"  time zone: {clinic.timezone.key}",
        f"  phone: {clinic.phone}; emergency number: {clinic.emergency_number}",
    ]
    if clinic.clock_speed != 1:
        lines.append(f"  clock speed: {clinic.clock_speed:g}x (demo/test only)")
    lines += [
        f"  quiet hours: {clinic.quiet_hours or 'none'}",
        f"  check-ins for a session treated now ({now.astimezone(clinic.timezone):{stamp}}):",
    ]
    for checkin, offset in zip(plan, clinic.checkins, strict=True):
        nominal = checkin.nominal_at.astimezone(clinic.timezone)
        due = checkin.due_at.astimezone(clinic.timezone)
        line = f"    {format_duration(offset):>5}  "
        if checkin.absorbed:
            line += f"{nominal:{stamp}} (absorbed into next)"
        elif checkin.moved:
            line += f"{due:{stamp}} (moved from {nominal:%H:%M}, quiet hours)"
        else:
            line += f"{due:{stamp}}"
        lines.append(line)
    missed = clinic.missed_alert_after
    chat = clinic.alert_chat_id
    lines += [
        f"  reminder after {format_duration(clinic.reminder_after)}; alerts re-sent every"
        f" {format_duration(clinic.alert_renotify_after)}; clinic told after {missed}"
        f" missed check-in{'s' if missed > 1 else ''} in a row",
        f"  emergency alerts re-sent every {format_duration(clinic.emergency_renotify_after)} until"
        f" acknowledged; other alerts stop after {clinic.max_alert_rounds} rounds",
        f"  opening hours: {_opening(clinic)}",
        f"  alert chat: {'none' if chat is None else chat}",
        f"  enrolment links valid {format_duration(clinic.enrol_token_ttl)};"
        f" records kept {clinic.retention_days} days",
        f"  language: {clinic.language}; guidance: {clinic.guidance_dir or 'shipped'}",
        "  staff:",
        *(f"    {s.name}, {s.role} ({s.telegram_id})" for s in clinic.staff),
    ]
    return lines


def _opening(clinic: Clinic) -> str:
    if clinic.opening_hours is None:
        return "not set (alerts are re-sent at any hour)"
    return f"{clinic.opening_hours}, other days closed; out of hours call {clinic.out_of_hours_phone}"
