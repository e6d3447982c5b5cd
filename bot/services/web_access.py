"""Signing staff in to the web worklist without passwords: a one-time link sent in Telegram,
then a session cookie.

A link is 192 random bits, opens once, within 10 minutes; a session lasts 12 hours unless its
holder sends /web logout or stops being staff (an admin removes them). Only SHA-256 hashes of
both tokens are stored. Who a session's holder may see is read from the config in force at
each request (`Services.config`), never remembered from the sign-in. Sign-ins are logged with
the clinic and role only. Imports the store through `Services`."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING

from bot.guidance.config import Clinic

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 192 bits
LINK_SECONDS = 10 * 60
SESSION_SECONDS = 12 * 3600
SIGN_IN_PATH = "/signin/"
MINI_APP_PATH = "/app"  # what the staff menu button opens inside Telegram (bot/web/mini_app.py)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The form token of a session: derived from its cookie, so nothing more is stored, and
    unguessable without the cookie (which a page on another site never reads)."""
    return hmac.new(session_token.encode(), b"aftercare-csrf", hashlib.sha256).hexdigest()


def issue_link(services: Services, telegram_id: int) -> str:
    """A one-time sign-in link for a staff member (the caller has checked they are staff)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = services.now()
    services.store.add_web_link(token_hash(token), telegram_id, now, now + LINK_SECONDS)
    return services.config.web.base_url + SIGN_IN_PATH + token


def link_open(services: Services, token: str) -> bool:
    return services.store.web_link_open(token_hash(token), services.now())


def sign_in(services: Services, link_token: str) -> str | None:
    """Use a link: a new session token, or None when the link is unknown, used, expired, or its
    holder is no longer staff."""
    now = services.now()
    telegram_id = services.store.use_web_link(token_hash(link_token), now)
    clinics = staff_clinics(services, telegram_id)
    if telegram_id is None or not clinics:
        log.info("web sign-in refused: link unknown, used, expired or not staff")
        return None
    session = secrets.token_urlsafe(TOKEN_BYTES)
    services.store.add_web_session(token_hash(session), telegram_id, now, now + SESSION_SECONDS)
    for clinic in clinics:  # the clinic and role, never who
        member = clinic.staff_member(telegram_id)
        log.info("web sign-in: a %s of clinic %s", member.role if member else "?", clinic.id)
    return session


def session_holder(services: Services, session_token: str | None) -> int | None:
    """The Telegram id of the staff member holding this session, None when it is unknown,
    expired or its holder is no longer staff of any clinic (then the session ends)."""
    if not session_token:
        return None
    hashed = token_hash(session_token)
    telegram_id = services.store.web_session(hashed, services.now())
    if telegram_id is not None and not staff_clinics(services, telegram_id):
        services.store.end_web_session(hashed)
        return None
    return telegram_id


def staff_clinics(services: Services, telegram_id: int | None) -> list[Clinic]:
    return [] if telegram_id is None else services.staff_clinics(telegram_id)


def sign_out(services: Services, session_token: str) -> None:
    services.store.end_web_session(token_hash(session_token))


def revoke(services: Services, telegram_id: int) -> int:
    """/web logout, or a staff member removed: every session and unused link of theirs ends."""
    ended = services.store.revoke_web_access(telegram_id)
    log.info("web sessions ended: %d", ended)
    return ended
