"""What `grants audit check` reports: findings that cite the events they rest on, in a stable order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from domain.clock import SHANGHAI

VIOLATION = "violation"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    grant_no: str
    versions: tuple[int, ...]
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        events = ", ".join(f"#{version}" for version in self.versions)
        return f"{self.severity}: {self.rule}: grant {self.grant_no}, event {events}: {self.message}"


def local_time(at: datetime) -> str:
    """An instant as a person in the province reads it."""
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)"
