"""Query strings both ways, and the series filter they carry (docs/protocol.md §1.5, §5, §7).

The client encodes with ``encode_query`` and ``SeriesFilter.pairs``; the server decodes with
``Query`` and ``Query.series_filter``: the parameter names of a filter are written here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal
from urllib.parse import parse_qsl, urlencode

import msgspec

from tempodb._wire.errors import InvalidInputError

__all__ = ["DIRECTIONS", "Direction", "Pairs", "Query", "SeriesFilter", "check_direction", "encode_query"]

Pairs = list[tuple[str, str]]


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Form-encode ``pairs`` (``+`` for space, brackets escaped), with a leading ``?`` if not empty."""
    text = urlencode(list(pairs))
    return f"?{text}" if text else ""


class SeriesFilter(msgspec.Struct, frozen=True):
    """Which series to select: union within ``ids`` and within ``keys``, every tag and attribute
    required, and all present kinds combined with AND.  An empty filter selects every series."""

    ids: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.ids or self.keys or self.tags or self.attributes)

    def __bool__(self) -> bool:
        return not self.empty

    def pairs(self) -> Pairs:
        """The query parameters: ``id``, ``key``, ``tag`` repeated, ``attr[name]=value``."""
        out: Pairs = [("id", v) for v in self.ids]
        out += [("key", v) for v in self.keys]
        out += [("tag", v) for v in self.tags]
        out += [(f"attr[{k}]", v) for k, v in self.attributes]
        return out


class Query:
    """A decoded query string: repeated names kept, ``+`` read as space, names percent-decoded."""

    def __init__(self, text: str) -> None:
        self.pairs: Pairs = parse_qsl(text, keep_blank_values=True)

    def get(self, name: str) -> str:
        """The last value of ``name``, stripped; ``""`` when absent (an empty value means absent)."""
        value = ""
        for key, item in self.pairs:
            if key == name:
                value = item
        return value.strip()

    def has(self, name: str) -> bool:
        return bool(self.get(name))

    def all(self, name: str) -> Sequence[str]:
        return [item for key, item in self.pairs if key == name]

    def series_filter(self) -> SeriesFilter:
        attributes = tuple(
            (key[5:-1], item) for key, item in self.pairs if key.startswith("attr[") and key.endswith("]")
        )
        return SeriesFilter(tuple(self.all("id")), tuple(self.all("key")), tuple(self.all("tag")), attributes)


#: Which point a single-value read returns relative to ``ts`` (docs/protocol.md §6.15).
Direction = Literal["exact", "before", "after", "nearest"]
DIRECTIONS: tuple[Direction, ...] = ("exact", "before", "after", "nearest")


def check_direction(text: str, *, any_case: bool = False) -> Direction:
    """``text`` as a direction; ``InvalidInputError`` naming the choices otherwise.

    Clients send the lowercase names; a server reads them in any case (``any_case``), as the
    historical service did.
    """
    direction = text.strip().lower() if any_case else text
    for known in DIRECTIONS:
        if direction == known:
            return known
    raise InvalidInputError(f"direction must be one of {', '.join(DIRECTIONS)}, not {text!r}")
