"""The command line's checks and summaries (`aftercare check-config`).

Imports `bot.guidance`, `bot.followup`, `bot.store` and `bot.clinic`."""
