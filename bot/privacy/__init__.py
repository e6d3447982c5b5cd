"""Privacy helpers: log redaction, pseudonyms for logs, private (0600) files.

Imports nothing of the bot."""
