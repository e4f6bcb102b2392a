"""The one validator of write items, so that a bad item is told the same thing whichever write
endpoint it was sent to: points of one series (``/series/{id|key}/{v}/data/`` and ``/increment/``),
one timestamp's values for many series (``/data/``, ``/increment/``) and multi (``/multi/``,
``/multi/increment/``).

:func:`item_checker` makes, for one request, the function that judges one item: it returns the item
checked or its problems, in the order the historical service listed them (value, series, timestamp).
Single-series and bulk writes refuse the whole body at the first bad item (400, ``point {i}: ...`` /
``data[{i}]: ...``); multi writes answer 207 with each item's problems as its messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import tzinfo
from typing import Any, TypeGuard

from tempodb.server._timefmt import parse_ms
from tempodb.server.codec import MISSING, describe
from tempodb.server.storage import INT64_MAX, INT64_MIN, Point, Value

__all__ = [
    "INCREMENT_RANGE",
    "INTEGER_RANGE",
    "NO_SERIES",
    "NUMERIC",
    "Checked",
    "SeriesRef",
    "item_checker",
    "problem_text",
    "timestamp",
    "valid_key",
]

# The historical service's texts (recorded 207 answers), kept word for word.
NUMERIC = "Must provide a numeric value"
NO_SERIES = "Must provide a series ID or key"
# Ours, in the same voice.
INTEGER_RANGE = "Must provide an integer value within the 64-bit range"
INCREMENT_RANGE = "Must provide an increment amount within the 64-bit integer range"
_TIMESTAMP = "Must provide a valid timestamp: {}"

#: How a bulk or multi item names its series: ``("id", the id)`` or ``("key", the key)``.
SeriesRef = tuple[str, str]
#: A checked item: its series (None where the path names it) and its point.
Checked = tuple[SeriesRef | None, Point]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_NUMBERS = frozenset({"nan", "inf", "infinity"})
_NOTHING: dict[str, Any] = {}
_isfinite = math.isfinite


def valid_key(raw: object) -> TypeGuard[str]:
    """A usable series id or key: a non-empty string without control characters."""
    return isinstance(raw, str) and bool(raw) and _CONTROL.search(raw) is None


def timestamp(raw: object, naive_zone: tzinfo, now: int) -> int | str:
    """Epoch ms of a ``"t"`` field, ``now`` when absent or null, or the problem with it."""
    if raw is None or raw is MISSING:
        return now  # a point without "t" is stamped with the receive time (EMB-C relies on it)
    if type(raw) is not str:
        return _TIMESTAMP.format(f'"t" must be an ISO-8601 timestamp string, not {describe(raw)}')
    try:
        return parse_ms(raw, naive_zone)
    except ValueError as exc:  # InvalidInputError, or any ValueError a stranger date provokes
        return _TIMESTAMP.format(exc)


def problem_text(position: str, problems: list[str]) -> str:
    """The text of a 400 for a bad item: where it is, then what is wrong with it."""
    return f"{position}: {'; '.join(problems)}"


def item_checker(
    *, increment: bool, naive_zone: tzinfo, now: int, by_series: bool = False, at: int | None = None
) -> Callable[[object], Checked | list[str]]:
    """The validator of one write request's items: ``check(item)`` returns the checked item or its
    problems (never an empty list), in the historical order: value, series, timestamp.

    ``increment``: the value is an amount added as a 64-bit integer (floats truncated toward zero).
    ``by_series``: each item names its series by ``"id"`` or ``"key"`` (id wins when both are usable).
    ``at``: the timestamp of every item (a bulk body's ``"t"``); otherwise each item's own ``"t"``,
    naive ones read in ``naive_zone``, absent ones ``now``.
    """
    floats_as_sent = not increment  # a finite float is stored as it came

    def value_of(raw: object) -> Value | str:
        number = _number(raw)
        if number is None:
            return NUMERIC
        if increment:
            number = int(number)  # increments work on longs (§6.11)
            return number if INT64_MIN <= number <= INT64_MAX else INCREMENT_RANGE
        if type(number) is int and not INT64_MIN <= number <= INT64_MAX:
            return INTEGER_RANGE
        return number

    def check(item: object) -> Checked | list[str]:
        # Runs once per point of the writes the typed fast path (codec.plain_points) leaves to it:
        # a closure (no attribute loads), common cases first, a problem list only for a bad item.
        fields: dict[str, Any] = item if type(item) is dict else _NOTHING  # a non-object has none of the fields
        raw = fields.get("v", MISSING)
        kind = type(raw)
        value: Any
        if (kind is float and floats_as_sent and _isfinite(raw)) or (kind is int and INT64_MIN <= raw <= INT64_MAX):
            value = raw
        else:
            value = value_of(raw)
        t: Any = at
        if t is None:
            t = fields.get("t")
            if type(t) is str:
                try:
                    t = parse_ms(t, naive_zone)
                except ValueError:
                    t = timestamp(t, naive_zone, now)  # the problem, in its one wording
            else:
                t = timestamp(t, naive_zone, now)
        ref = _series_ref(fields) if by_series else None
        if type(value) is str or type(t) is str or (by_series and ref is None):
            problems = [value] if type(value) is str else []
            if by_series and ref is None:
                problems.append(NO_SERIES)
            if type(t) is str:
                problems.append(t)
            return problems
        return ref, (t, value)

    return check


def _number(raw: object) -> Value | None:
    """A finite float or an int (of any size) from a JSON number or numeric string; else None."""
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None  # type: ignore[arg-type,return-value]
    if kind is int:
        return raw  # type: ignore[return-value]
    if kind is str:
        # The toy bash client sends numbers as strings; anything int() or float() reads is accepted.
        text = raw.strip()  # type: ignore[attr-defined]
        try:
            return int(text)
        except ValueError:
            pass
        if text.lower().lstrip("+-") in _NOT_NUMBERS:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _series_ref(fields: dict[str, Any]) -> SeriesRef | None:
    series_id = fields.get("id")
    if valid_key(series_id):
        return "id", series_id
    key = fields.get("key")
    if valid_key(key):
        return "key", key
    return None
