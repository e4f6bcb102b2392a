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
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.keys import NO_SERIES, SeriesRef
from tempodb._wire.values import INT64_MAX, INT64_MIN, read_value
from tempodb.server._timefmt import parse_ms
from tempodb.server.codec import MISSING, describe
from tempodb.server.storage import Point

__all__ = ["Checked", "item_checker", "problem_text", "timestamp"]

_TIMESTAMP = "Must provide a valid timestamp: {}"

#: A checked item: its series (None where the path names it) and its point.
Checked = tuple[SeriesRef | None, Point]

_NOTHING: dict[str, Any] = {}
_isfinite = math.isfinite


def timestamp(raw: object, naive_zone: tzinfo, now: int) -> int | str:
    """Epoch ms of a ``"t"`` field, ``now`` when absent or null, or the problem with it."""
    if raw is None or raw is MISSING:
        return now  # a point without "t" is stamped with the receive time (docs/protocol.md §8.2: embedded C clients rely on it)
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
            value = read_value(raw, increment=increment)
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
        ref = _series_of(fields) if by_series else None
        if type(value) is str or type(t) is str or (by_series and ref is None):
            problems = [value] if type(value) is str else []
            if by_series and ref is None:
                problems.append(NO_SERIES)
            if type(t) is str:
                problems.append(t)
            return problems
        return ref, (t, value)

    return check


def _series_of(fields: dict[str, Any]) -> SeriesRef | None:
    """The series an item names (the id wins over the key), or None when it names none usable."""
    try:
        return SeriesRef.from_item(fields)
    except InvalidInputError:
        return None
