"""matplotlib charts of what a read returns, on a time axis labelled in the data's zone.

    from tempodb.plot import plot
    ax = plot(client.read_key("temp", start, end, "1day", tz="America/Chicago"))
    ax.figure.savefig("temp.png")

``plot`` takes a ``DataSet``, a list of them, a ``tempodb.columnar.Columns``, or a pandas Series or
DataFrame (as ``client.read_frame`` returns): a line per series, labelled by its key.  Needs
matplotlib: ``pip install 'tempodb-revived[plot]'``; it is imported only when ``plot`` is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataSet
from tempodb._wire.timestamps import UTC, get_zone
from tempodb.columnar import Columns

__all__ = ["plot"]


def _matplotlib() -> tuple[Any, Any]:
    """``(matplotlib.pyplot, matplotlib.dates)``, typed loosely: matplotlib's own hints are partial."""
    try:
        import matplotlib.dates as dates
        import matplotlib.pyplot as pyplot
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("tempodb.plot needs matplotlib: pip install 'tempodb-revived[plot]'") from None
    return pyplot, dates


def plot(data: Any, ax: Any = None, *, tz: str | None = None, title: str | None = None, **line_options: Any) -> Any:
    """Draw ``data`` on ``ax`` (a new figure's axes by default) and return the axes.

    Dates on the x axis are labelled in ``tz``, else the zone of the data (a pandas index's zone,
    a rollup's zone), else UTC.  ``line_options`` go to every ``ax.plot`` call (``marker="."``...).
    A legend names the series when there are several.
    """
    lines, zone = _lines(data, tz)
    pyplot, mdates = _matplotlib()
    if ax is None:
        _, ax = pyplot.subplots(figsize=(10, 4), layout="constrained")
    for label, times, values in lines:
        ax.plot(times, values, label=label, **line_options)
    locator = mdates.AutoDateLocator(tz=zone)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    ax.set_xlabel(f"time ({getattr(zone, 'key', None) or zone.tzname(None) or 'UTC'})")
    if len(lines) > 1:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def _lines(data: Any, tz: str | None) -> tuple[list[tuple[str, list[datetime], list[float]]], tzinfo]:
    """``([(label, aware datetimes, values)], zone)`` of any of the accepted inputs."""
    if isinstance(data, (DataSet, Columns)):
        data = [data]
    if _is_pandas(data):
        return _pandas_lines(data, tz)
    if not isinstance(data, Sequence) or not all(isinstance(one, (DataSet, Columns)) for one in data):
        raise InvalidInputError(
            f"plot takes a DataSet, a list of them, Columns, or a pandas Series or DataFrame, not {type(data).__name__}"
        )
    lines = []
    zones: list[str] = []
    for one in data:
        if isinstance(one, Columns):
            series = one.to_pandas()
            lines.append((one.series.key, list(series.index.to_pydatetime()), series.tolist()))
            zones.append(one.tz)
        else:
            lines.append((one.series.key, [p.ts for p in one.data], [float(p.value) for p in one.data]))
            if one.rollup is not None:
                zones.append(one.rollup.tz)
    name = tz or next((z for z in zones if z), None)
    return lines, get_zone(name) if name else UTC


def _is_pandas(data: Any) -> bool:
    module = type(data).__module__
    return module.startswith("pandas") and hasattr(data, "index")


def _pandas_lines(data: Any, tz: str | None) -> tuple[list[tuple[str, list[datetime], list[float]]], tzinfo]:
    from tempodb.columnar import need_pandas, pandas_zone

    pd = need_pandas()
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidInputError("plot needs a frame on a DatetimeIndex")
    if index.tz is None:
        index = index.tz_localize("UTC")  # naive means UTC, as everywhere in tempodb
    name = tz or str(index.tz)
    index = index.tz_convert(pandas_zone(name))
    times = list(index.to_pydatetime())
    lines = []
    for column in frame.columns:
        values = frame[column].astype("float64")
        keep = values.notna().to_numpy()  # gaps of a wide frame are where a series has no point
        lines.append((str(column), [t for t, k in zip(times, keep, strict=True) if k], values[keep].tolist()))
    return lines, get_zone(name)
