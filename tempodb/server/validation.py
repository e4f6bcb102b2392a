"""The rules a write's items must meet: values, increment amounts, timestamps, series references."""

from __future__ import annotations

import math
import re
from datetime import tzinfo
from typing import Any

from tempodb._core.errors import InvalidInputError
from tempodb.server._timefmt import parse_ms
from tempodb.server.codec import MISSING, describe
from tempodb.server.storage import INT64_MAX, INT64_MIN, Value

__all__ = ["NO_SERIES", "NUMERIC", "increment_amount", "point_time", "series_ref", "valid_key", "value"]

NUMERIC = "Must provide a numeric value"
NO_SERIES = "Must provide a series ID or key"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_key(raw: object) -> bool:
    return isinstance(raw, str) and bool(raw) and _CONTROL.search(raw) is None


def value(raw: object) -> Value | None:
    """A stored value from JSON: ints in the 64-bit range, finite floats, numeric strings; else None."""
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None  # type: ignore[arg-type,return-value]
    if kind is int:
        return raw if INT64_MIN <= raw <= INT64_MAX else None  # type: ignore[operator,return-value]
    if kind is str:
        # The toy bash client sends numbers as strings; anything int() or float() reads is accepted.
        text = raw.strip()  # type: ignore[attr-defined]
        try:
            return value(int(text))
        except ValueError:
            pass
        try:
            return value(float(text)) if text.lower().lstrip("+-") not in ("nan", "inf", "infinity") else None
        except ValueError:
            return None
    return None


def increment_amount(amount: Value) -> int | None:
    # Increments work on longs: a float amount is truncated toward zero.
    whole = int(amount)
    return whole if INT64_MIN <= whole <= INT64_MAX else None


def point_time(raw: object, naive_zone: tzinfo, now: int) -> int:
    if raw is None or raw is MISSING:
        return now  # a point without "t" is stamped with the receive time (EMB-C relies on it)
    if not isinstance(raw, str):
        raise InvalidInputError(f'"t" must be an ISO-8601 timestamp string, not {describe(raw)}')
    return parse_ms(raw, naive_zone)


def series_ref(item: dict[str, Any]) -> tuple[str, str] | None:
    series_id, key = item.get("id"), item.get("key")
    if isinstance(series_id, str) and valid_key(series_id):
        return "id", series_id  # with both, id wins
    if isinstance(key, str) and valid_key(key):
        return "key", key
    return None
