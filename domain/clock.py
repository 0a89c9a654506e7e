"""Business dates are dates in China; instants are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every date
# a grant can carry, and it needs no tz database (which workflow sandboxes and slim images may lack).
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_date(instant: datetime) -> date:
    """The calendar date in Shanghai at `instant` (which must be timezone-aware)."""
    if instant.tzinfo is None:
        msg = f"instant {instant} has no time zone; instants are stored in UTC"
        raise ValueError(msg)
    return instant.astimezone(SHANGHAI).date()
