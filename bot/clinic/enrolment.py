"""Enrolment links: one-time tokens, `t.me` deep links and their QR codes.

A token is the patient's only key to a follow-up, so it is unguessable (192 random bits),
single-use and expiring (the store claims it with a conditional UPDATE). It is also a valid
deep-link payload: Telegram passes `start` payloads of 1-64 of A-Za-z0-9_- to the bot.
Tokens are secrets: they are printed for the practitioner, never logged.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno

from bot.guidance.config import Clinic
from bot.guidance.loader import load_guidance
from bot.guidance.model import INTENSITIES, Guidance
from bot.privacy.private_files import write_private
from bot.render.html import neutral
from bot.store.database import Store

ACTIVITIES = ("running", "gym")
TOKEN_BYTES = 24  # 32 characters of base64url
FUTURE_SLACK = 10 * 60  # a treatment time this far ahead is a clock difference, not a typo
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
REFERENCE_LIMIT = 40  # characters of the clinic's own patient reference (a file number, initials)
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


class EnrolmentError(ValueError):
    """Enrolment details the clinic must correct (unknown area, bad time, ...)."""


@dataclass(frozen=True)
class Enrolment:
    token: str
    expires_at: float


def new_token() -> str:
    """An unguessable one-time token that is also a valid deep-link payload."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def bot_username(name: str) -> str:
    """A bot's username as written by staff (`@name` or `name`), checked."""
    username = name.strip().removeprefix("@")
    if not _USERNAME.fullmatch(username):
        raise EnrolmentError(f"{name!r} is not a Telegram bot username")
    return username


def deep_link(bot_name: str, token: str) -> str:
    """`https://t.me/<bot>?start=<token>`: opening it sends the bot `/start <token>`."""
    username = bot_username(bot_name)
    if not _TOKEN.fullmatch(token):
        raise EnrolmentError("the token is not a valid deep-link payload")
    return f"https://t.me/{username}?start={token}"


def resolve_areas(guidance: Guidance, areas: Iterable[str]) -> list[str]:
    """Area ids for names or aliases as staff write them, in order, without repeats."""
    resolved: list[str] = []
    for name in areas:
        area = guidance.resolve_area(name)
        if area is None:
            known = ", ".join(guidance.areas)
            raise EnrolmentError(f"unknown area {name!r} (known: {known})")
        if area not in resolved:
            resolved.append(area)
    if not resolved:
        raise EnrolmentError("name at least one treated area")
    return resolved


def patient_reference(text: str | None) -> str | None:
    """The clinic's own reference for the patient as staff typed it: on one line, trimmed,
    invisible characters dropped; None when empty. It never goes into a link."""
    reference = " ".join(neutral(text or "").split())
    if len(reference) > REFERENCE_LIMIT:
        raise EnrolmentError(f"the patient reference is longer than {REFERENCE_LIMIT} characters")
    return reference or None


def parse_treated_at(text: str, clinic: Clinic) -> float:
    """An ISO 8601 time as Unix seconds; without an offset it is the clinic's local time."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise EnrolmentError(f"{text!r} is not an ISO time such as 2025-03-14T09:30") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=clinic.timezone)
    return when.timestamp()


def create_enrolment(
    store: Store,
    clinic: Clinic,
    areas: Iterable[str],
    intensity: str | None,
    activities: Iterable[str],
    first_session: bool | None,
    treated_at: float,
    practitioner_id: int | None,
    now: float,
    *,
    guidance: Guidance | None = None,
    patient_ref: str | None = None,
) -> Enrolment:
    """Check the session's details and store a new one-time token for them.

    `guidance` is the clinic's loaded guidance (the bot passes its own); without it the
    clinic's guidance folder is read. `patient_ref` is the clinic's own reference for the
    patient, stored with the token and copied to the follow-up it starts.
    """
    reference = patient_reference(patient_ref)
    guidance = guidance or load_guidance(clinic.guidance_folder)
    area_ids = resolve_areas(guidance, areas)
    if intensity not in INTENSITIES:
        raise EnrolmentError(f"intensity must be one of {', '.join(INTENSITIES)}, got {intensity!r}")
    chosen: list[str] = []
    for activity in activities:
        if activity not in ACTIVITIES:
            raise EnrolmentError(f"unknown activity {activity!r} (known: {', '.join(ACTIVITIES)})")
        if activity not in chosen:
            chosen.append(activity)
    if practitioner_id is not None and not clinic.is_staff(practitioner_id):
        raise EnrolmentError(f"{practitioner_id} is not a staff member of clinic {clinic.id!r}")
    if treated_at > now + FUTURE_SLACK:
        raise EnrolmentError("the treatment time is in the future")
    follow_up = clinic.checkins[-1].total_seconds() / clinic.clock_speed
    if treated_at + follow_up <= now:
        raise EnrolmentError("the follow-up of a session treated then would already be over")
    token = new_token()
    expires_at = now + clinic.enrol_token_ttl.total_seconds()
    store.add_enrol_token(
        token,
        clinic.id,
        area_ids,
        intensity,
        chosen,
        first_session,
        treated_at,
        practitioner_id,
        now,
        expires_at,
        reference,
    )
    return Enrolment(token, expires_at)


def qr_png(link: str) -> bytes:
    """The link as a QR code PNG, for a patient to scan from the practitioner's phone."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_text(link: str) -> str:
    """The link as a QR code drawn with block characters, to scan from a terminal."""
    buffer = io.StringIO()
    segno.make(link, error="m", micro=False).terminal(out=buffer, compact=True)
    return buffer.getvalue()


def write_qr(link: str, path: str | Path) -> Path:
    """Write the link as a QR code PNG at `path` (folders made as needed), for its owner alone:
    the code is a live enrolment token."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, qr_png(link))
    except OSError as error:
        raise EnrolmentError(f"cannot write the QR code to {path}: {error.strerror or error}") from None
    return path


def token_username(api_base_url: str, token: str, timeout: float = 10.0) -> str:
    """The username of the bot a token belongs to (Bot API getMe). OSError when Telegram cannot
    be asked; EnrolmentError when it refuses the token."""
    url = f"{api_base_url}{token}/getMe"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code in (401, 404):
            raise EnrolmentError(
                "Telegram does not accept the bot token (getMe answered "
                f"{error.code}); check TELEGRAM_BOT_TOKEN or token_file"
            ) from None
        raise OSError(f"getMe answered {error.code}") from None
    except ValueError:
        raise OSError("getMe did not answer JSON") from None
    username = answer.get("result", {}).get("username") if isinstance(answer, dict) else None
    if not isinstance(username, str):
        raise OSError("getMe gave no username")
    return username


def checked_username(name: str, api_base_url: str, token: str | None) -> tuple[str, str | None]:
    """`name` as a bot username, checked against the token's own bot when there is a token: a
    typo would make links to somebody else's bot. Returns the username and a warning, if the
    check could not be made."""
    username = bot_username(name)
    if token is None:
        return username, None
    try:
        actual = token_username(api_base_url, token)
    except OSError as error:
        return username, f"could not check @{username} against the token ({error})"
    if actual.lower() != username.lower():
        raise EnrolmentError(f"the bot token belongs to @{actual}, not @{username}")
    return actual, None
