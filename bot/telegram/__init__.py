"""Telegram: the PTB Application, handlers by audience, intake of updates, HTTP transport.

The top of the bot: imports `bot.services` and below; nothing imports it but the CLI and demo."""
