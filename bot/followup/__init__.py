"""Follow-up arithmetic: when check-ins and alert rounds fall, quiet hours, time zones (pure).

Imports `bot.guidance` only; never reads the clock (`now` is an argument)."""
