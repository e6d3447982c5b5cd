"""`aftercare enrol`: a one-time enrolment link for a session, printed with its QR code (to a
file, the terminal, or not at all), or all of it as JSON for scripts; with --card, also a
printable A6 card (PNG) of the code with the clinic's name, the expiry and the emergency number."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.cli.config_stored import in_force
from bot.clinic.card import card_path, write_card
from bot.clinic.enrolment import (
    Enrolment,
    EnrolmentError,
    checked_username,
    create_enrolment,
    deep_link,
    parse_treated_at,
    qr_text,
    write_qr,
)
from bot.guidance.config import Clinic, Config, load_config
from bot.guidance.loader import load_guidance
from bot.guidance.model import Guidance
from bot.store.database import Store

USERNAME_ENV = "AFTERCARE_BOT_USERNAME"


def enrol(args: argparse.Namespace, out: TextIO) -> int:
    """Create the link, print it and its QR code, or all of it as JSON with --json."""
    config = in_force(load_config(args.config))  # a link's expiry as set in Telegram, if it was
    username = _bot_username(config, args.bot_username)
    clinic = config.clinic(args.clinic)
    card = card_path(args.card) if args.card else None  # a wrong name is refused before a token is made
    guidance = load_guidance(clinic.guidance_folder)
    enrolment = _create(config, clinic, guidance, args)
    link = deep_link(username, enrolment.token)
    expires = datetime.fromtimestamp(enrolment.expires_at, clinic.timezone)
    if not args.json:
        print(link, file=out)
    qr: Path | None = None
    if args.qr == "-":
        if not args.json:
            print(qr_text(link), file=out)
    elif not args.no_qr:
        try:
            qr = write_qr(link, args.qr or f"enrol-{enrolment.token[:8]}.png")
        except EnrolmentError as error:
            print(f"aftercare: {error} (the link works without it)", file=sys.stderr)
            return 2
    if card is not None:
        try:
            write_card(link, enrolment.expires_at, clinic, guidance, card)
        except EnrolmentError as error:
            print(f"aftercare: {error} (the link works without it)", file=sys.stderr)
            return 2
    if args.json:
        written = {"qr": str(qr) if qr else None, "card": str(card) if card else None}
        print(json.dumps({"link": link, "expires_at": expires.isoformat(), **written}), file=out)
        return 0
    if qr is not None:
        print(f"QR code: {qr}", file=out)
    if card is not None:
        print(f"Card: {card}", file=out)
    print(f"Expires: {expires:%Y-%m-%d %H:%M %Z}", file=out)
    return 0


def _bot_username(config: Config, given: str | None) -> str:
    """The bot's username from the flag, the config or the environment, checked against the token
    when one is configured (a warning on stderr when Telegram cannot be asked)."""
    telegram = config.telegram
    name = given or telegram.bot_username or os.environ.get(USERNAME_ENV, "")
    if not name:
        raise EnrolmentError(
            "give the bot's username with --bot-username, telegram.bot_username in the "
            f"config, or {USERNAME_ENV}"
        )
    token = telegram.token() if telegram.has_token else None
    username, warning = checked_username(name, telegram.api_base_url, token)
    if warning:
        print(f"aftercare: {warning}", file=sys.stderr)
    return username


def _create(config: Config, clinic: Clinic, guidance: Guidance, args: argparse.Namespace) -> Enrolment:
    now = time.time()
    treated_at = now if args.treated_at is None else parse_treated_at(args.treated_at, clinic)
    store = Store(config.storage.database)
    try:
        return create_enrolment(
            store,
            clinic,
            args.area,
            args.intensity,
            args.activity,
            args.first_session,
            treated_at,
            args.practitioner,
            now,
            guidance=guidance,
            patient_ref=args.reference,
        )
    finally:
        store.close()
