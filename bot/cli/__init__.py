"""The commands of `aftercare`, one module each, named after what they do; bot/__main__.py parses
the arguments and wires them here.

Imports the pure packages, `bot.privacy`, `bot.store` and `bot.clinic`; never the bot's Telegram
side (`aftercare run` and `aftercare demo` are wired in bot/__main__.py)."""
