"""Delivery: the only place that sends. Claims outbox rows, paces them, sends, retries.

`sender` (claim, send, retry), `pacing` (the bot's overall pace and each chat's), `in_flight`
(sends in flight per chat), `episode` (a fault told once), `report` (what a tick did).
Imports `bot.store` and PTB; knows nothing of what a message means, and never imports
`bot.services`: what falls due is bot/services/due.py's."""
