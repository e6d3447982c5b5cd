"""Delivery: the only place that sends. Claims outbox rows, paces them, sends, retries.

`sender` (claim, send, retry), `due_rows` (the pump's next row), `pacing` (the bot's overall pace
and each chat's), `in_flight` (sends in flight per chat), `episode` (a fault told once), `report`
(what a tick did). Imports `bot.store`, `bot.followup.status` and PTB; knows nothing of what a
message means, and never imports `bot.services`: what falls due is bot/services/due.py's."""
