"""What `verify` reports: one thing in the ledger that does not match, where, what was expected and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: where, what was expected, what was found."""

    what: str
    where: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: expected {self.expected}, found {self.found}"


@dataclass
class PartReport:
    """What one pass over a stretch of the log found (audit/log_pass.py): `verify` adds the passes' up."""

    records: int = 0
    chains: int = 0  # begun in this stretch
    checkpoints: int = 0  # of sizes in this stretch
    problems: list[Problem] = field(default_factory=list)
