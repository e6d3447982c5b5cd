"""The guidance folder and the config: loaded, validated, typed (pure).

Owns the data every other package reads (questions, tips, rules, messages, clinics). Imports
only `bot.reader` (to compile lexicon patterns); never Telegram, SQLite or HTTP."""
