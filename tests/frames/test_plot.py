"""``tempodb.plot`` renders (Agg backend) a line per series with every point, dates in the data's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import matplotlib
import numpy as np
import pandas as pd
import pytest

import tempodb
from tempodb.plot import plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt

T0 = datetime(2012, 3, 10, tzinfo=timezone.utc)
END = T0 + timedelta(days=3)


@pytest.fixture
def local() -> Iterator[tempodb.Client]:
    with tempodb.Client.local() as client:
        index = pd.date_range(T0, periods=60, freq="h")
        frame = pd.DataFrame({"a": np.arange(60.0), "b": np.where(np.arange(60) % 3 == 0, 1.0, np.nan)}, index=index)
        client.write_frame(frame)
        yield client
    plt.close("all")


def _points(ax: object) -> dict[str, int]:
    return {line.get_label(): len(line.get_xdata()) for line in ax.get_lines()}  # type: ignore[attr-defined]


def test_a_frame_renders_a_line_per_series_without_its_gaps(local: tempodb.Client) -> None:
    ax = plot(local.read_frame(T0, END, "raw", tz="America/New_York"))
    ax.figure.canvas.draw()  # renders for real: the formatter and locator run
    assert _points(ax) == {"a": 60, "b": 20}
    assert ax.get_xlabel() == "time (America/New_York)" and ax.get_legend() is not None
    first = matplotlib.dates.num2date(ax.get_lines()[0].get_xdata(orig=False)[0])
    assert first == T0


def test_data_sets_and_columns_render_in_the_rollup_zone(local: tempodb.Client) -> None:
    sets = local.read(T0, END, "1day", "sum", keys=["a", "b"], tz="Asia/Tokyo")
    ax = plot(sets, title="daily sums")
    ax.figure.canvas.draw()
    assert _points(ax) == {s.series.key: len(s.data) for s in sets} and ax.get_title() == "daily sums"
    assert ax.get_xlabel() == "time (Asia/Tokyo)"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any("Mar-11" in text or "11" in text for text in labels)
    one = plot(local.read_key_columns("a", T0, END, "raw"), marker=".")
    assert _points(one) == {"a": 60} and one.get_legend() is None and one.get_lines()[0].get_marker() == "."
    _, ax = plt.subplots()
    assert plot(local.read_key("b", T0, END, "raw"), ax=ax) is ax


def test_plot_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(tempodb.InvalidInputError, match="plot takes a DataSet"):
        plot([1, 2, 3])
    with pytest.raises(tempodb.InvalidInputError, match="DatetimeIndex"):
        plot(pd.DataFrame({"a": [1.0]}))
