"""The book of record: an eventsourcing application over SQLite (default) or PostgreSQL."""
