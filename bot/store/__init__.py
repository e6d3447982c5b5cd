"""The store: the only SQL. Schema, migrations and queries on one SQLite file, held by the rest
of the bot as one `Store` (database.py); rows that leave it typed in rows.py.

Imports the pure packages (statuses, neutral text); nothing above it."""
