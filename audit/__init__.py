"""What auditors run over the ledger: histories now; timelines, integrity checks and reports to come."""
