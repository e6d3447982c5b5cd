"""The reader: a patient's words as tokens, lexicon patterns and numbers (pure).

Knows no clinic and no rule: the tables it reads with are passed in. Imports nothing of the bot."""
