"""One patient's follow-up, the use cases the Telegram handlers call, gathered in one place.

Each job lives in its own module; this one names what the edges use, so a handler reads
`followup.press(...)` whichever module holds it:

- `bot.services.session`: finding a patient's follow-up, triage against it, recording what
  was judged, the check-in they are answering;
- `bot.services.consent`: the enrolment link, the consent question, the follow-up it starts;
- `bot.services.checkins`: the due check-in and its reminder, missed check-ins, button presses;
- `bot.services.words`: the patient's own words and photos, and the one answer to them;
- `bot.services.commands`: /status, /tips, /pause, /resume, /stop, /delete, a blocked bot.

The arithmetic they share (the plan, the session's clock, who an alert round goes to) is pure
and lives in `bot.followup`; what they say is `bot.render`. Every function takes `services`
(store, guidance, clinic, clock) and returns what to send as `Outgoing` values, which the
handlers send through the outbox. Nothing here speaks Telegram, so every rule of the
follow-up can be tested against a real Store without a bot.
"""

from bot.services.checkins import missed, press, render_checkin, render_reminder
from bot.services.commands import delete, delete_confirm, pause, resume, status, stop, tips, unreachable
from bot.services.consent import accept, consent, valid_token
from bot.services.session import Assessed, Followup, current, default_guidance, of_session, outcome
from bot.services.words import Answer, Words, answer, assess_words, supersede, take_words, unfollowed

__all__ = [
    "Answer",
    "Assessed",
    "Followup",
    "Words",
    "accept",
    "answer",
    "assess_words",
    "consent",
    "current",
    "default_guidance",
    "delete",
    "delete_confirm",
    "missed",
    "of_session",
    "outcome",
    "pause",
    "press",
    "render_checkin",
    "render_reminder",
    "resume",
    "status",
    "stop",
    "supersede",
    "take_words",
    "tips",
    "unfollowed",
    "unreachable",
    "valid_token",
]
