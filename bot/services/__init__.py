"""The follow-up as a service: applies the pure rules to the store and queues what to send.

Handlers and the tick call in here; it imports the pure packages, `bot.store` and
`bot.delivery`, never handlers."""
