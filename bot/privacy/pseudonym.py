"""How logs name a Telegram user or chat that has no internal id of ours.

A Telegram id identifies a person outside the bot (anyone can open tg://user?id=…), so logs
never hold one. A patient is logged by their internal patient id. Anyone else (staff, a stranger,
a chat) is logged by a keyed hash: HMAC-SHA256 of the id keyed by the bot token, the one secret
every installation already keeps private. The same user reads the same in every line, so a
log can still be followed; without the token the id cannot be recovered by trying every
possible id. A new token gives new names.
"""

from __future__ import annotations

import hashlib
import hmac

DIGITS = 12  # hex digits kept: 48 bits, no collision among a clinic's users


def pseudonym(token: str, telegram_id: int) -> str:
    message = f"aftercare log id {int(telegram_id)}".encode()
    return "u-" + hmac.new(token.encode(), message, hashlib.sha256).hexdigest()[:DIGITS]
