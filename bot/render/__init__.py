"""Rendering: guidance templates to Telegram HTML and keyboards as plain dicts (pure).

Every value from a patient, staff or config is escaped here. Imports `bot.guidance`,
`bot.triage` and `bot.followup`; never Telegram or SQLite."""
