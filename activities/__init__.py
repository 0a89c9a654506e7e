"""Temporal activities: thin adapters that hand one command to the ledger."""
