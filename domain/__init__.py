"""The grant domain: aggregates, events, value objects and rules. Pure: no I/O, no frameworks but eventsourcing's."""
