"""Triage: sorts a reply into normal, contact or emergency by the guidance rules (pure).

Imports `bot.reader` and `bot.guidance`; `now` and the history come in as arguments."""
