"""Load `outcomes.toml`: how a staff member may close an alert ("called: self-care", "seen in
clinic", ...), as ids in the order of their buttons. Each id's label is the message
`alert_outcome_<id>` of messages.toml, in every language shipped.

Imports its siblings in `bot.guidance` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.guidance.toml_doc import LIST, TEXT, Schema, Table

OUTCOMES = Schema(required={"outcomes": LIST})
OUTCOME = Schema(required={"id": TEXT})
OUTCOME_ID = re.compile(r"[a-z][a-z_]{0,23}")  # short: it rides in a button's callback data
LABEL_PREFIX = "alert_outcome_"


def load_outcomes(top: Table, messages: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    """The outcome ids of `outcomes.toml` (read as `top`), each with its label in messages.toml."""
    ids: list[str] = []
    for entry in top.tables("outcomes", OUTCOME):
        outcome = entry["id"]
        if not OUTCOME_ID.fullmatch(outcome):
            entry.fail("id", "must be 1-24 lowercase letters or '_', starting with a letter")
        if outcome in ids:
            entry.fail("id", f"'{outcome}' is listed twice")
        if LABEL_PREFIX + outcome not in messages["en"]:
            entry.fail("id", f"messages.toml has no label {LABEL_PREFIX}{outcome}")
        ids.append(outcome)
    if not ids:
        top.fail("outcomes", "list at least one way to close an alert")
    return tuple(ids)
