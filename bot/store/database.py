"""`Store`: the one object the bot holds for its SQLite file, composed of one mixin per family
of queries, each in its own module:

- connection: opening, pragmas, migrations, transactions, the outbox INSERT, backup;
- patients: enrolment tokens, patients, follow-ups (sessions);
- checkins: what falls due, reminders, misses, completion;
- answers: answers, assessments, photos;
- alerts: alert rounds and acknowledgement;
- lifecycle: an alert closed with an outcome, notes, staff messages to the patient, prompts;
- outbox: queueing, claiming and settling outgoing messages;
- inbox: updates stored before Telegram is told they arrived;
- erasure: /delete, retention and the WAL truncation after them;
- reports: read-only queries for the report and the FHIR export;
- settings: clinic settings changed from Telegram, and their audit;
- reach: whether the bot can write to each staff member and alert chat;
- web: the web worklist's sign-in links and sessions (hashes of their tokens);
- worklist: what the web worklist's pages read.

The database is the source of truth for time: every check-in, alert and outgoing message is a
row with a `due_at` and a `status`, and a caller claims a row with a conditional UPDATE, so only
the caller that changed the row sends it. Mixins rather than a facade: callers keep one object
and every method name, without a forwarding method for each. Imports the other store modules.
"""

from __future__ import annotations

from bot.store.alerts import AlertQueries
from bot.store.answers import AnswerQueries
from bot.store.checkins import CheckinQueries
from bot.store.erasure import ErasureQueries
from bot.store.inbox import InboxQueries
from bot.store.lifecycle import LifecycleQueries
from bot.store.outbox import OutboxQueries
from bot.store.patients import PatientQueries
from bot.store.reach import ReachQueries
from bot.store.reports import ReportQueries
from bot.store.settings import SettingsQueries
from bot.store.web import WebQueries
from bot.store.worklist import WorklistQueries


class Store(
    PatientQueries,
    CheckinQueries,
    AnswerQueries,
    AlertQueries,
    LifecycleQueries,
    OutboxQueries,
    InboxQueries,
    ErasureQueries,
    ReportQueries,
    SettingsQueries,
    ReachQueries,
    WebQueries,
    WorklistQueries,
):
    """The database: open it with a path (or ":memory:"); migrations run on opening."""
