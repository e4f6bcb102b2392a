"""A series selection as the client's calls take it: lists and a dict, checked, then sent as a filter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tempodb._core.errors import InvalidInputError
from tempodb._wire.query import Pairs, SeriesFilter

__all__ = ["Filter"]


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

    @property
    def wire(self) -> SeriesFilter:
        """The selection as the filter both sides of the wire know."""
        return SeriesFilter(tuple(self.ids), tuple(self.keys), tuple(self.tags), tuple(self.attributes.items()))

    def pairs(self) -> Pairs:
        return self.wire.pairs()
