"""The numbers a point may carry (docs/protocol.md §8.1): finite ints and floats.

Integers stay integers and floats stay floats.  The client checks the values it is given
(``check_number``: Python numbers, no bools, nothing infinite); the server reads what a body holds
(``read_value``: JSON numbers, or strings holding one, as old shell clients sent) and stores
integers of 64 bits.  An increment adds a 64-bit integer: a float amount is truncated toward zero.
Each problem has one wording, whichever write shape (one series, bulk, multi) carried the item.
"""

from __future__ import annotations

import math
import numbers

from tempodb._wire.errors import InvalidInputError

__all__ = [
    "INCREMENT_RANGE",
    "INT64_MAX",
    "INT64_MIN",
    "INTEGER_RANGE",
    "NOT_NUMERIC",
    "Number",
    "check_number",
    "read_number",
    "read_value",
]

Number = int | float
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# The historical service's text (its recorded 207 answers), kept word for word...
NOT_NUMERIC = "Must provide a numeric value"
# ...and ours, in the same voice.
INTEGER_RANGE = "Must provide an integer value within the 64-bit range"
INCREMENT_RANGE = "Must provide an increment amount within the 64-bit integer range"

_NONFINITE = frozenset(("nan", "inf", "infinity"))


def _describe(raw: object) -> str:
    """A short rendering of a value for a message."""
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def check_number(value: object) -> Number:
    """A value a caller gives a point: an int or a finite float.

    Other real numbers (numpy's, ``fractions.Fraction``) are converted; bools, strings and
    everything else are refused with ``InvalidInputError``.
    """
    kind = type(value)
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
        raise InvalidInputError(f"value {value!r} is not finite; TempoDB stores finite numbers only")
    if kind is int:
        return value  # type: ignore[return-value]
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"value must be an int or float, not {type(value).__name__} ({_describe(value)})")
    return check_number(int(value) if isinstance(value, numbers.Integral) else float(value))


def read_number(raw: object) -> Number | None:
    """A finite number (an int of any size) from a JSON number or a numeric string; else None."""
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None  # type: ignore[arg-type,return-value]
    if kind is int:
        return raw  # type: ignore[return-value]
    if kind is str:
        text = raw.strip()  # type: ignore[attr-defined]
        try:
            return int(text)
        except ValueError:
            pass
        if text.lower().lstrip("+-") in _NONFINITE:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def read_value(raw: object, *, increment: bool) -> Number | str:
    """What a body's ``"v"`` stores (or, for an increment, adds), or the problem with it."""
    number = read_number(raw)
    if number is None:
        return NOT_NUMERIC
    if increment:
        amount = int(number)  # increments work on 64-bit integers (docs/protocol.md §8.3)
        return amount if INT64_MIN <= amount <= INT64_MAX else INCREMENT_RANGE
    if type(number) is int and not INT64_MIN <= number <= INT64_MAX:
        return INTEGER_RANGE
    return number
