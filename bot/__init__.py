"""Aftercare: Telegram follow-up for the 72 hours after a dry needling session."""
