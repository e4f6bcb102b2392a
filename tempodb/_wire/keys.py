"""Series keys and ids, and ``SeriesRef``: how one series is named (docs/protocol.md §9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import quote

import msgspec

from tempodb._wire.errors import InvalidInputError

__all__ = ["NO_SERIES", "By", "SeriesRef", "check_id", "check_key", "key_problem"]

By = Literal["id", "key"]

#: What a server answers for a bulk or multi item that names no usable series (the historical text).
NO_SERIES = "Must provide a series ID or key"


def key_problem(key: object, what: str = "series key") -> str | None:
    """Why ``key`` cannot name a series, or None when it can.

    A key is a non-empty string without control characters (C0, DEL, C1) or lone surrogates.
    The 2013 client also refused ``%``, ``^`` and non-ASCII; servers since accept them, and every
    character is escaped in a path, so only what cannot travel or be stored is refused.
    """
    if not isinstance(key, str):
        return f"{what} must be a string, not {type(key).__name__}"
    if key == "":
        return f"{what} must not be empty"
    if not key.isprintable() and any(ord(c) < 32 or 127 <= ord(c) < 160 or 0xD800 <= ord(c) < 0xE000 for c in key):
        return f"{what} {key!r} contains a control character or lone surrogate; remove it"
    return None


def check_key(key: object, what: str = "series key") -> str:
    """``key`` if it can name a series; else ``InvalidInputError`` saying why."""
    problem = key_problem(key, what)
    if problem is not None:
        raise InvalidInputError(problem)
    return key  # type: ignore[return-value]


def check_id(series_id: object) -> str:
    """A series id, by the key rule (ids are made by the server; only their form is checked)."""
    return check_key(series_id, "series id")


class SeriesRef(msgspec.Struct, frozen=True, gc=False):
    """One series, named by its id or by its key: ``SeriesRef.of_id(...)`` / ``SeriesRef.of_key(...)``."""

    by: By
    value: str

    @classmethod
    def of_id(cls, series_id: object) -> SeriesRef:
        return cls("id", check_id(series_id))

    @classmethod
    def of_key(cls, key: object) -> SeriesRef:
        return cls("key", check_key(key))

    @classmethod
    def named(cls, by: str, value: object) -> SeriesRef:
        """The ref for ``by`` ("id" or "key") and ``value``, checked."""
        if by == "id":
            return cls.of_id(value)
        if by == "key":
            return cls.of_key(value)
        raise InvalidInputError(f"a series is named by 'id' or 'key', not {by!r}")

    @classmethod
    def choose(cls, series_id: object, key: object) -> SeriesRef | None:
        """The ref of an item that may give both ``id`` and ``key``: the id wins whenever it is
        given (docs/protocol.md §6.9), even when it is not usable, so a bad id is an error rather
        than a write to the key's series.

        None when neither is given; ``InvalidInputError`` when the one that counts is not usable.
        """
        if series_id is not None:
            return cls.of_id(series_id)
        if key is not None:
            return cls.of_key(key)
        return None

    @classmethod
    def from_item(cls, item: Mapping[str, object]) -> SeriesRef | None:
        """``choose`` over the ``id`` and ``key`` fields of a bulk or multi item."""
        return cls.choose(item.get("id"), item.get("key"))

    @property
    def segment(self) -> str:
        """``id/<id>`` or ``key/<key>``, the value escaped as ONE path segment (``/`` -> ``%2F``)."""
        return f"{self.by}/{quote(self.value, safe='')}"

    def __str__(self) -> str:
        return f"{self.by} {self.value!r}"
