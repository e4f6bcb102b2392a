"""When to try a request again, and how long to wait first.

Exponential backoff with full jitter, a cap per wait and a budget for all waits together, and a
server's ``Retry-After`` honoured within that budget.  Randomness is injected so tests are exact.
The budget counts waiting time only, so the core never reads a clock; per-request timeouts bound
the rest.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import msgspec

from tempodb._wire.http import Response, header

__all__ = ["NO_RETRY", "RetryPolicy", "retry_after"]

RETRYABLE_STATUSES = frozenset((429, 502, 503, 504))


def retry_after(response: Response, now: float | None) -> float | None:
    """Seconds a response asks us to wait (``Retry-After`` as seconds, or as an HTTP date when
    ``now``, epoch seconds, is known); None when absent or unreadable."""
    value = header(response.headers, "retry-after").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    if now is None:
        return None
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class RetryPolicy(msgspec.Struct, frozen=True):
    """Retries for failures that may pass: connection errors, timeouts, 429, 502, 503 and 504.

    ``attempts`` counts every try (1 = never retry).  Waits grow as ``base * 2**n`` with full jitter,
    each at most ``cap`` seconds, all together at most ``budget`` seconds.  Reads, writes, range
    deletes and series updates are retried; increments and series creation only when the request
    provably never left, or when the server honours their ``Idempotency-Key``.
    """

    attempts: int = 5
    base: float = 0.2
    cap: float = 10.0
    budget: float = 30.0
    statuses: frozenset[int] = RETRYABLE_STATUSES
    jitter: Callable[[], float] = random.random  # uniform in [0, 1)
    clock: Callable[[], float] | None = None  # epoch seconds, only to read HTTP-date Retry-After

    def backoff(self, retry_number: int) -> float:
        """The jittered wait before retry number ``retry_number`` (0-based)."""
        ceiling = min(self.cap, self.base * 2.0**retry_number)
        return self.jitter() * ceiling

    def wait(self, retry_number: int, response: Response | None, waited: float) -> float | None:
        """How long to wait before the next try, or None when the budget or attempts are spent."""
        if retry_number + 1 >= self.attempts:
            return None
        delay = self.backoff(retry_number)
        if response is not None:
            asked = retry_after(response, self.clock() if self.clock is not None else None)
            if asked is not None:
                if asked > self.cap:
                    return None
                delay = asked
        if waited + delay > self.budget:
            return None
        return delay


NO_RETRY = RetryPolicy(attempts=1)
