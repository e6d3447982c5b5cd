"""The context every handler, job and the error handler receive: PTB's, plus the bot's services.

`build_application` puts the `Services` in `bot_data` once and wires `CONTEXT_TYPES` into the
builder, so `context.services` is typed wherever a callback runs. Imports `bot.services` only.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.services.shared import Services

SERVICES = "services"  # the bot_data key: benches and tests reach the services through it too


class AftercareContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's CallbackContext with `services`: config, store, guidance, clock and the outbox."""

    @property
    def services(self) -> Services:
        return self.bot_data[SERVICES]

    @property
    def user_state(self) -> dict[Any, Any]:
        """`user_data` (what a flow remembers of its user) for an update with a sender, as every
        update that reaches a handler reading it has: PTB types it as optional."""
        if self.user_data is None:
            raise ValueError("this update names no user: it has no user_data")
        return self.user_data


CONTEXT_TYPES = ContextTypes(context=AftercareContext)
