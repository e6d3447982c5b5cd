"""The follow-up as a service: applies the pure rules to the store and queues what to send.

Handlers and the tick call in here (`followup` names the use cases, `alerts` the alert rounds);
it imports the pure packages, `bot.store`, `bot.delivery` and `bot.clinic`, never handlers."""
