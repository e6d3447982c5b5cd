"""One message the bot means to send: the single outgoing-message type (pure).

The follow-up use cases, the alert rounds and the delivery tick all describe what to send as
`Outgoing` values; the edges (bot/telegram, bot/delivery) queue and send them. Imports
`bot.followup.status` only."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from bot.followup.status import MessageKind


@dataclass(frozen=True)
class Outgoing:
    """A message to send, or, with `edit`, an edit of the bot message with that id.

    `chat_id` None means the patient the use case is about (the caller knows their chat).
    `queued` names an outbox row already queued with the writes it follows: only send it.
    `patient_id` is the patient a message to staff is about, so that erasing them finds it."""

    text: str
    markup: dict | None = None
    _: KW_ONLY
    chat_id: int | None = None
    kind: MessageKind = MessageKind.REPLY
    edit: int | None = None
    patient_id: int | None = None
    queued: int | None = None
