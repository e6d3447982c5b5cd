"""Rendering: guidance templates to Telegram HTML and keyboards as plain dicts (pure).

`html` (Safe, escape, message, keyboard, Button), `checkin` (what the patient reads), `alerts`
(what staff read about an alert) and `outgoing` (Outgoing, the one outgoing-message type).
Every value from a patient, staff or config is escaped here. Imports `bot.guidance`,
`bot.triage` and `bot.followup`; never Telegram or SQLite."""
