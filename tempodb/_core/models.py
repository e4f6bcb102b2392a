"""The values users see: series metadata, points, data sets and summaries.

Models are msgspec structs: equality by value, readable reprs, and JSON decoding straight into
them.  Wire names differ from member names only for points (``t``/``v`` -> ``ts``/``value``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

import msgspec

from tempodb._wire.timestamps import format_timestamp, parse_timestamp

# Decoding insists on an offset so the fast path yields aware datetimes; responses without one
# (naive or date-only forms) are re-read by the lenient parser in protocol.py.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

__all__ = [
    "DataPoint",
    "DataSet",
    "DeleteSummary",
    "PointStatus",
    "Rollup",
    "Series",
    "SeriesSummary",
    "SingleValue",
    "Summary",
]


# gc=False: a point holds a time and a number, which cannot form a reference cycle, so the
# garbage collector need not track it: 16 bytes less per point and a third less time to build one.
class DataPoint(msgspec.Struct, rename={"ts": "t", "value": "v"}, gc=False):
    """One timestamp/value pair.  ``ts`` may be naive (UTC) or a ``date`` when writing.

    Constructing one checks nothing (a read of a million points builds a million of them); a write
    checks every point before sending and refuses NaN, infinities, booleans and non-numbers.  A
    read may hold NaN: a rollup value past the float range, sent as ``null``.
    """

    ts: AwareDatetime
    value: int | float

    def to_json(self) -> dict[str, Any]:
        """Compatibility alias (the 2013 client's): ``{"t": "<ISO-8601 with offset>", "v": value}``."""
        return {"t": format_timestamp(self.ts), "v": self.value}

    @classmethod
    def from_json(cls, json: dict[str, Any]) -> DataPoint:
        """Compatibility alias (the 2013 client's): a point from ``{"t": "<timestamp>", "v": value}``."""
        return cls(parse_timestamp(json["t"]), json["v"])


class Series(msgspec.Struct):
    """Series metadata: a server-made ``id``, your ``key``, and what filters match on."""

    id: str
    key: str
    name: str = ""
    attributes: dict[str, str] = {}
    tags: list[str] = []

    def to_json(self) -> dict[str, Any]:
        """Compatibility alias (the 2013 client's): the series as a JSON-ready dict."""
        return {"id": self.id, "key": self.key, "name": self.name, "attributes": dict(self.attributes), "tags": list(self.tags)}


class Summary(msgspec.Struct, omit_defaults=True):
    """Statistics over the raw points of a range (also when the data is rolled up).

    ``ss`` is the sum of squared deviations from the mean; ``stddev`` is the sample deviation.
    Fields the server did not send are None; a statistic it sent as ``null`` (a value past the
    float range, such as the sum of huge values) is NaN; any other fields it sends are kept in ``extra``.
    """

    count: int = 0
    sum: float | None = None
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    stddev: float | None = None
    ss: float | None = None
    extra: dict[str, Any] = {}

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Summary:
        known: dict[str, Any] = {
            k: _NAN if raw[k] is None and k in _FLOAT_FIELDS else raw[k] for k in _SUMMARY_FIELDS if k in raw
        }
        extra = {k: v for k, v in raw.items() if k not in _SUMMARY_FIELDS}
        return cls(**known, extra=extra)


_SUMMARY_FIELDS = frozenset(("count", "sum", "mean", "min", "max", "stddev", "ss"))
_FLOAT_FIELDS = _SUMMARY_FIELDS - {"count"}
_NAN = math.nan


class Rollup(msgspec.Struct, frozen=True):
    """The rollup the server applied: ISO period (``PT1H``), function as requested, zone."""

    interval: str
    function: str
    tz: str = "UTC"


class DataSet(msgspec.Struct):
    """Points of one series over ``[start, end)``, raw or rolled up, with a summary of the raw points."""

    series: Series
    start: AwareDatetime
    end: AwareDatetime
    data: list[DataPoint] = []
    summary: Summary | None = None
    rollup: Rollup | None = None


class SingleValue(msgspec.Struct):
    """The point a single-value lookup found (``data`` is None when none qualifies), and the
    zone ``data.ts`` is expressed in (``UTC`` when the server does not say)."""

    series: Series
    data: DataPoint | None = None
    tz: str = "UTC"


class DeleteSummary(msgspec.Struct):
    """How many series a delete_series call removed."""

    deleted: int


class PointStatus(msgspec.Struct, frozen=True):
    """One entry of a 207 multistatus: the fate of one submitted point."""

    status: int
    messages: list[str] = []

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class SeriesSummary(msgspec.Struct):
    """The summary-only read (``/summary/``): statistics of the raw points in ``[start, end)``."""

    series: Series
    start: AwareDatetime
    end: AwareDatetime
    summary: Summary
    tz: str = "UTC"
