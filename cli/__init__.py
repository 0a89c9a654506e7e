"""The `grants` command line: officers' and auditors' commands, and the local stack."""
