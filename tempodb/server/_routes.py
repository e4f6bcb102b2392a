"""Routing of a request target to an endpoint, and query-string decoding, as tempodb-api-v1.md §1.5 asks.

Paths are matched before percent-decoding, so a key's encoded ``/`` (``%2F``) never splits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote

import msgspec

from tempodb.server.storage import SeriesFilter

__all__ = ["ALLOWED_METHODS", "Query", "Route", "route"]


class Route(msgspec.Struct, frozen=True):
    """An endpoint name; for per-series endpoints also how the series is named (``id``/``key``)."""

    name: str
    by: str = ""
    ref: str = ""


ALLOWED_METHODS: dict[str, tuple[str, ...]] = {
    "series": ("GET", "POST", "DELETE"),
    "series_item": ("GET", "PUT"),
    "series_data": ("GET", "POST", "DELETE"),
    "series_increment": ("POST",),
    "series_single": ("GET",),
    "series_summary": ("GET",),
    "data": ("GET", "POST"),
    "multi": ("POST",),
    "increment": ("POST",),
    "multi_increment": ("POST",),
    "single": ("GET",),
}

_FIXED = {
    "/series": "series",
    "/data": "data",
    "/multi": "multi",
    "/increment": "increment",
    "/multi/increment": "multi_increment",
    "/single": "single",
}
_SUFFIXES = (("/data", "series_data"), ("/increment", "series_increment"), ("/single", "series_single"), ("/summary", "series_summary"))


def route(path: str) -> Route | None:
    """The endpoint for a raw (still percent-encoded) path, or None when there is none."""
    if not path.startswith("/v1/"):
        return None
    rest = path[3:]
    if len(rest) > 1 and rest.endswith("/"):
        rest = rest[:-1]
    fixed = _FIXED.get(rest)
    if fixed is not None:
        return Route(fixed)
    for by in ("id", "key"):
        prefix = f"/series/{by}/"
        if not rest.startswith(prefix):
            continue
        raw, name = rest[len(prefix) :], "series_item"
        # Greedy: the key is everything up to the last known suffix, so an unescaped "/" inside a
        # key (NODE-050 sends them) still routes.
        for suffix, suffix_name in _SUFFIXES:
            if raw.endswith(suffix):
                raw, name = raw[: -len(suffix)], suffix_name
                break
        if not raw or (by == "id" and "/" in raw):
            return None
        return Route(name, by, unquote(raw, errors="strict") if "%" in raw else raw)
    return None


class Query:
    """A decoded query string: repeated names kept, ``+`` read as space, names percent-decoded."""

    def __init__(self, text: str) -> None:
        self.pairs: list[tuple[str, str]] = parse_qsl(text, keep_blank_values=True)

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
        return SeriesFilter(
            ids=tuple(self.all("id")), keys=tuple(self.all("key")), tags=tuple(self.all("tag")), attributes=attributes
        )
