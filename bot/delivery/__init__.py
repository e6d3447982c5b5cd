"""Delivery: the only place that sends. Claims outbox rows, paces them, sends, retries.

Imports `bot.store` and PTB's Bot; knows nothing of what a message means."""
