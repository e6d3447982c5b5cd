"""Consent: an enrolment link checked, the consent question, and the follow-up it starts.

Imports the pure packages (a patient without consent has no follow-up yet); reads and writes
through `Services.store`."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.followup.plan import plan
from bot.followup.status import RUNNING_SESSIONS
from bot.guidance.model import Guidance
from bot.render import checkin as cr
from bot.render import html as render
from bot.render.html import REMOVE_KEYBOARD, Button, Safe, reply_keyboard
from bot.render.outgoing import Outgoing
from bot.services import session

if TYPE_CHECKING:
    from bot.services.shared import Services

log = logging.getLogger(__name__)

PHONE_LIMIT = 32  # characters of a shared phone number kept (Telegram's are digits, maybe a "+")
ASKED = "asked"  # sessions.phone_prompt while the patient may still share or skip


def valid_token(services: Services, token: str | None) -> dict[str, Any] | None:
    row = services.store.enrol_token(token) if token else None
    if row is None or row["used_at"] is not None or row["expires_at"] <= services.now():
        return None
    return row


def language(
    services: Services,
    guidance: Guidance,
    telegram_id: int,
    language_code: str | None,
    chosen: str | None = None,
) -> str:
    """The language of someone opening a link: the one `chosen` with /language before consent, else
    the one on file for a patient (a language chosen with /language outlasts a new link), else
    Telegram's."""
    patient = services.store.patient_by_telegram(telegram_id)
    return cr.language_for(guidance, language_code, chosen or (patient["language"] if patient else None))


def consent(
    services: Services,
    token_row: dict[str, Any],
    telegram_id: int,
    language_code: str | None,
    chosen: str | None = None,
) -> Outgoing:
    """The consent message, with buttons carrying the token (it fits: 32 of [A-Za-z0-9_-])."""
    clinic, guidance = services.clinic(token_row["clinic_id"]), services.guidance(token_row["clinic_id"])
    lang = language(services, guidance, telegram_id, language_code, chosen)
    value = token_row["token"] if len(token_row["token"]) <= 36 else ""
    markup = render.keyboard(
        [
            [
                (
                    render.message(guidance, "consent_accept_button", lang),
                    Button(cr.CONSENT_YES, 0, value).pack(),
                )
            ],
            [
                (
                    render.message(guidance, "consent_decline_button", lang),
                    Button(cr.CONSENT_NO, 0, value).pack(),
                )
            ],
        ]
    )
    text = render.message(
        guidance,
        "consent",
        lang,
        clinic_name=clinic.name,
        emergency_number=clinic.emergency_number,
        retention_days=clinic.retention_days,
    )
    return Outgoing(text, markup)


def accept(
    services: Services,
    token: str,
    telegram_id: int,
    first_name: str,
    language_code: str | None,
    chosen: str | None = None,
) -> Outgoing | None:
    """Start the follow-up the token describes; None when the link is no longer valid."""
    store, now = services.store, services.now()
    row = valid_token(services, token)
    if row is None or not store.use_enrol_token(token, now):
        return None
    clinic, guidance = services.clinic(row["clinic_id"]), services.guidance(row["clinic_id"])
    lang = language(services, guidance, telegram_id, language_code, chosen)
    existing = store.patient_by_telegram(telegram_id)
    running = store.current_session(existing["id"]) if existing else None
    replaces = running is not None and running["status"] in RUNNING_SESSIONS
    patient_id = store.save_patient(telegram_id, first_name, lang, clinic.id, now)
    checkins = plan(clinic, row["treated_at"], now)
    session_id = store.start_session(patient_id, row, clinic.clock_speed, checkins, now, ASKED)
    log.info(
        "patient %s consented: session %s, %d check-ins%s",
        patient_id,
        session_id,
        len(checkins),
        " (replaces the running one)" if replaces else "",
    )
    first = min(c.due_at for c in checkins)
    text = render.message(
        guidance,
        "consent_accepted",
        lang,
        first_checkin_local=cr.local_time(guidance, lang, first, clinic.timezone, now),
    )
    if replaces:
        text = Safe(render.message(guidance, "new_session_replaces", lang) + "\n\n" + text)
    ask = render.message(guidance, "phone_ask", lang, clinic_name=clinic.name)
    return Outgoing(Safe(text + "\n\n" + ask), phone_keyboard(guidance, lang))


# ---- the phone number, shared with one tap (optional)


def phone_keyboard(guidance: Guidance, lang: str) -> dict:
    """Telegram's contact-request button, and Skip."""
    share = {"text": _label(guidance, "phone_share_button", lang), "request_contact": True}
    return reply_keyboard([[share], [{"text": _label(guidance, "phone_skip_button", lang)}]])


def lapsed_keyboard(services: Services, chat_id: int) -> dict | None:
    """The removal of the phone keyboard, once a check-in has gone out with the offer still open:
    the offer lapses then (nothing is kept), and the keyboard goes with the first message after
    it that has no buttons of its own (a message carries one keyboard, and a check-in's are its
    question's). None when there is nothing to remove."""
    f = session.current(services, chat_id)
    if f is None or f.session["phone_prompt"] != ASKED:
        return None
    if not any(c["sent_at"] for c in services.store.checkins(f.session["id"])):
        return None
    services.store.skip_phone(f.session["id"])
    log.info("patient %s: the phone offer lapsed with the first check-in", f.patient["id"])
    return REMOVE_KEYBOARD


def phone_offer_again(services: Services, telegram_id: int) -> list[Outgoing]:
    """The phone offer again in the patient's language (just chosen), while it is open and no
    check-in has gone out: its keyboard's buttons are words the patient's tap sends."""
    f = session.current(services, telegram_id)
    if f is None or f.session["phone_prompt"] != ASKED:
        return []
    if any(c["sent_at"] for c in services.store.checkins(f.session["id"])):
        return []
    return [Outgoing(f.say("phone_ask", clinic_name=f.clinic.name), phone_keyboard(f.guidance, f.lang))]


def _label(guidance: Guidance, key: str, lang: str) -> str:
    """A reply keyboard button's text: plain, as the patient's tap sends it back."""
    return render.plain(render.message(guidance, key, lang))


def take_contact(
    services: Services, telegram_id: int, contact_user_id: int | None, phone: str
) -> Outgoing | None:
    """A contact the patient sent: their own number is kept for their follow-up's clinic and
    the keyboard goes; anyone else's (or one naming no Telegram user) is refused. None: the
    sender has no follow-up."""
    f = session.current(services, telegram_id)
    if f is None:
        return None
    if contact_user_id != telegram_id:
        log.info("patient %s: a contact not their own refused", f.patient["id"])
        asked = f.session["phone_prompt"] == ASKED
        return Outgoing(f.say("phone_not_yours"), phone_keyboard(f.guidance, f.lang) if asked else None)
    services.store.share_phone(f.session["id"], phone_number(phone))
    log.info("patient %s shared their phone for session %s", f.patient["id"], f.session["id"])
    return Outgoing(f.say("phone_thanks", clinic_name=f.clinic.name), REMOVE_KEYBOARD)


def skip_phone(services: Services, telegram_id: int, text: str) -> Outgoing | None:
    """The patient tapped Skip while their phone was asked: nothing is kept, the keyboard goes.
    None for any other words (they are read as usual)."""
    f = session.current(services, telegram_id)
    if f is None or f.session["phone_prompt"] != ASKED:
        return None
    if text.strip() != _label(f.guidance, "phone_skip_button", f.lang):
        return None
    services.store.skip_phone(f.session["id"])
    return Outgoing(f.say("phone_skipped", clinic_name=f.clinic.name), REMOVE_KEYBOARD)


def phone_number(raw: str) -> str:
    """A shared number as staff dial it: Telegram's digits get their "+"; nothing but digits,
    spaces, "+", "-" and brackets is kept."""
    number = re.sub(r"[^0-9+() -]", "", raw).strip()[:PHONE_LIMIT]
    return f"+{number}" if number.isdigit() else number
