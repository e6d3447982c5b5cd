"""The reader: a patient's words as tokens, lexicon patterns, findings and numbers (pure).

Owns the lexicon's data types (`patterns.Pattern`, `matcher.Finding`, `matcher.Matcher`,
`numbers.NumberWords`) and the matching; knows no file, clinic or rule: `bot.guidance` fills the
tables it reads with. Imports nothing of the bot."""
