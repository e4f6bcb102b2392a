"""What a call's deadline keeps, for both drivers: the limit, its end on the driver's clock, and the
request in flight (named by the error).  The clocks and the waiting are the drivers' own
(``tempodb/aio/_concurrency.py``, ``tempodb/sync/_concurrency.py``): the core reads no clock."""

from __future__ import annotations

import math

from tempodb._core.errors import DeadlineExceededError
from tempodb._wire.http import Request

__all__ = ["DeadlineState"]


class DeadlineState:
    """The wall-clock limit of one call: ``seconds``, or None for none."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._end = math.inf  # set by the driver when the call starts, on its own clock
        self._request: Request | None = None  # the last one sent, for the error

    def _expired(self, request: Request | None = None) -> DeadlineExceededError:
        assert self.seconds is not None, "only a call with a deadline can run out of time"
        return DeadlineExceededError(self.seconds, request or self._request)
