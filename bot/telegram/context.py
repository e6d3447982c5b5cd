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


CONTEXT_TYPES = ContextTypes(context=AftercareContext)
