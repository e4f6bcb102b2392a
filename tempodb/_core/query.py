"""URL pieces: a series key as one path segment, and form-encoded query strings with filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

from tempodb._core.errors import InvalidInputError

__all__ = ["Filter", "encode_query", "quote_segment", "validate_key"]

Pairs = list[tuple[str, str]]


def validate_key(key: object, what: str = "series key") -> str:
    """A usable series key: a non-empty string without control characters.

    The 2013 client also refused ``%``, ``^`` and non-ASCII; servers since accept them, and
    every character is escaped on the way out, so we only refuse what no server can store.
    """
    if not isinstance(key, str):
        raise InvalidInputError(f"{what} must be a string, not {type(key).__name__}")
    if key == "":
        raise InvalidInputError(f"{what} must not be empty")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or 0xD800 <= ord(c) < 0xE000 for c in key):
        raise InvalidInputError(f"{what} {key!r} contains a control character or lone surrogate; remove it")
    return key


def validate_id(series_id: object) -> str:
    if not isinstance(series_id, str) or series_id == "":
        raise InvalidInputError(f"series id must be a non-empty string, not {series_id!r}")
    return series_id


def quote_segment(value: str) -> str:
    """Percent-encode ``value`` as ONE path segment: ``ke:y/1`` -> ``ke%3Ay%2F1``, space -> ``%20``."""
    return quote(value, safe="")


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Form-encode ``pairs`` (``+`` for space, brackets escaped), with a leading ``?`` if not empty."""
    text = urlencode(list(pairs))
    return f"?{text}" if text else ""


def _strings(values: Iterable[str] | str | None, what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        # A bare string would be iterated character by character: almost certainly a mistake.
        raise InvalidInputError(f"{what} must be a list of strings, not the string {values!r}")
    try:
        out = list(values)
    except TypeError:
        raise InvalidInputError(f"{what} must be a list of strings, not {type(values).__name__}") from None
    for value in out:
        if not isinstance(value, str):
            raise InvalidInputError(f"{what} must contain strings, not {type(value).__name__} ({value!r})")
    return out


class Filter:
    """A series selection: ids and keys are unions, tags and attributes intersections."""

    __slots__ = ("attributes", "ids", "keys", "tags")

    def __init__(
        self,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        self.ids = _strings(ids, "ids")
        self.keys = _strings(keys, "keys")
        self.tags = _strings(tags, "tags")
        if attributes is not None and not isinstance(attributes, Mapping):
            raise InvalidInputError(f"attributes must be a dict of strings, not {type(attributes).__name__}")
        attrs = dict(attributes or {})
        for name, value in attrs.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise InvalidInputError(f"attributes must map strings to strings, not {name!r}: {value!r}")
        self.attributes = attrs

    def __bool__(self) -> bool:
        return bool(self.ids or self.keys or self.tags or self.attributes)

    def pairs(self) -> Pairs:
        out: Pairs = [("id", v) for v in self.ids]
        out += [("key", v) for v in self.keys]
        out += [("tag", v) for v in self.tags]
        out += [(f"attr[{k}]", v) for k, v in self.attributes.items()]
        return out
