from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.clock import SHANGHAI, local_date


def test_shanghai_is_utc_plus_eight() -> None:
    assert SHANGHAI.utcoffset(None) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2020, 12, 31, 15, 59, 59, tzinfo=UTC), date(2020, 12, 31)),
        (datetime(2020, 12, 31, 16, 0, tzinfo=UTC), date(2021, 1, 1)),
        (datetime(2021, 1, 1, 0, 0, tzinfo=SHANGHAI), date(2021, 1, 1)),
    ],
)
def test_the_local_date_is_the_calendar_date_in_shanghai(instant: datetime, expected: date) -> None:
    assert local_date(instant) == expected


def test_an_instant_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        local_date(datetime(2021, 1, 1, 12, 0))  # noqa: DTZ001 - the naive instant is the point of the test
