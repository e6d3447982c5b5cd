"""The guidance folder and the config: loaded, validated, typed (pure).

Owns the data every other package reads: `loader.load_guidance` (one module per guidance file:
areas, lexicon, rules, questions, tips, messages, course; the types in `model`) and
`config.load_config`, both checked by the one validator in `toml_doc`. The lexicon's matching
types belong to `bot.reader`; `lexicon` only fills them from `lexicon.toml`.

Imports only `bot.reader`; never `bot.triage`, `bot.followup` or `bot.render`, nor Telegram,
SQLite or HTTP."""
