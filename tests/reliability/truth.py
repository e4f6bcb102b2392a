"""Shared test data and reading the truth back from the real server (never through the proxy)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import tempodb
from tempodb import DataPoint, RetryPolicy

UTC = timezone.utc
T0 = datetime(2013, 1, 1, tzinfo=UTC)

#: Fast retries for tests: tiny jittered waits, at most 4 tries.
FAST_RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05, budget=1.0)
#: Short enough that a stall costs little, long enough for a loaded 2-CPU box to answer.
TIMEOUT = 0.5


def minutes(n: int, value: Any = None, start: int = 0) -> list[DataPoint]:
    """``n`` points one minute apart from T0 (+``start`` minutes); value = index unless given."""
    return [
        DataPoint(T0 + timedelta(minutes=start + i), float(start + i) if value is None else value) for i in range(n)
    ]


def stored(direct: tempodb.Client, key: str, n: int) -> list[DataPoint]:
    """Every point of series ``key`` in the ``n`` minutes from T0, as the server holds them."""
    try:
        return direct.read_key(key, T0, T0 + timedelta(minutes=n)).data
    except tempodb.ForbiddenError:  # TempoDB's answer for a series that does not exist
        return []


def by_minute(direct: tempodb.Client, key: str, n: int) -> dict[int, float]:
    """minute index -> stored value, for checking sums point by point."""
    return {int((p.ts - T0).total_seconds() // 60): p.value for p in stored(direct, key, n)}
