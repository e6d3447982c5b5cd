"""The store: the only SQL. Schema, migrations and queries on one SQLite file.

Imports the pure packages (for types and neutral text); nothing above it."""
