"""The numbers a point may carry (docs/protocol.md §8.1): finite ints and floats.

Integers stay integers and floats stay floats.  A server stores integers of 64 bits
(``read_number``); larger ones are its to refuse, since another store may hold them.  An
increment adds a 64-bit integer: a float amount is truncated toward zero (``increment_amount``).
Each problem has one wording, used by the client before it sends and by the server for every
write shape (single series, bulk, multi).
"""

from __future__ import annotations

import math
import numbers

from tempodb._wire.errors import InvalidInputError

__all__ = ["INT64_MAX", "INT64_MIN", "Number", "check_number", "describe", "increment_amount", "read_number"]

Number = int | float
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_NONFINITE = frozenset(("nan", "inf", "infinity"))


def describe(raw: object) -> str:
    """A short rendering of a value for a message."""
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _in_range(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInputError(f"value {value} does not fit in a 64-bit integer")
    return value


def check_number(value: object) -> Number:
    """A value a point may carry: an int or a finite float.

    Other real numbers (numpy's, ``Decimal``-free ``numbers.Real``) are converted; bools, strings
    and everything else are refused.
    """
    kind = type(value)
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
        raise InvalidInputError(f"value {value!r} is not finite; TempoDB stores finite numbers only")
    if kind is int:
        return value  # type: ignore[return-value]
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"value must be a number, not {type(value).__name__} ({describe(value)})")
    return check_number(int(value) if isinstance(value, numbers.Integral) else float(value))


def read_number(raw: object) -> Number:
    """A value from a request body, as a server stores it: a JSON number, or a string holding one
    (old shell clients send numbers as strings); refused as ``check_number`` refuses, and integers
    beyond 64 bits too."""
    if type(raw) is str:
        text = raw.strip()
        try:
            return _in_range(int(text))
        except ValueError as exc:
            if isinstance(exc, InvalidInputError):
                raise
        if text.lower().lstrip("+-") in _NONFINITE:
            raise InvalidInputError(f"value {raw!r} is not finite; TempoDB stores finite numbers only")
        try:
            return check_number(float(text))
        except ValueError as exc:
            if isinstance(exc, InvalidInputError):
                raise
        raise InvalidInputError(f"value must be a number, not {describe(raw)}")
    if type(raw) is int:
        return _in_range(raw)
    if type(raw) is not float:
        raise InvalidInputError(f"value must be a number, not {describe(raw)}")
    return check_number(raw)


def increment_amount(value: Number) -> int:
    """What an increment adds: the value as a 64-bit integer, truncated toward zero."""
    amount = int(value)
    if not INT64_MIN <= amount <= INT64_MAX:
        raise InvalidInputError(f"increment amount {value!r} does not fit in a 64-bit integer")
    return amount
