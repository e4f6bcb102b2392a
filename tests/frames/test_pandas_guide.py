"""The pandas guide's example (docs/how-to/pandas.md) runs as written: with statsmodels' co2 data when statsmodels is
installed, else with a stand-in of the same shape (weekly, 1958-03-29 to 2001-12-29, 59 NaN), since
statsmodels is not a dependency.  The multi-day bucket rule stated beside it is checked too."""

from __future__ import annotations

import re
import sys
import types
from datetime import datetime
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import tempodb

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "pandas.md"


def _example() -> str:
    section = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def _co2_stand_in() -> types.ModuleType:
    """``statsmodels.api`` with ``datasets.co2.load_pandas().data`` shaped as the real one."""
    index = pd.date_range("1958-03-29", "2001-12-29", freq="W-SAT")
    weeks = np.arange(len(index))
    values = 315 + weeks * 0.03 + 3 * np.sin(weeks * 2 * np.pi / 52.18)
    values[np.linspace(3, len(index) - 3, 59).astype(int)] = np.nan
    data = pd.DataFrame({"co2": values}, index=index)
    api = types.ModuleType("statsmodels.api")
    api.datasets = types.SimpleNamespace(  # type: ignore[attr-defined]
        co2=types.SimpleNamespace(load_pandas=lambda: types.SimpleNamespace(data=data))
    )
    return api


def test_the_pandas_guide_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    try:
        import statsmodels.api  # noqa: F401
    except ImportError:
        monkeypatch.setitem(sys.modules, "statsmodels", types.ModuleType("statsmodels"))
        monkeypatch.setitem(sys.modules, "statsmodels.api", _co2_stand_in())
    exec(compile(_example(), str(GUIDE), "exec"), {"__name__": "readme"})
    assert (tmp_path / "co2.png").stat().st_size > 0
    import matplotlib.pyplot as plt

    plt.close("all")


def test_seven_day_buckets_are_the_epochs_and_pandas_gets_them_from_wall_clock_times() -> None:
    zone = "America/Los_Angeles"
    index = pd.date_range("2012-02-01", "2012-04-30", freq="37min", tz=zone)  # across the March DST change
    values = pd.Series(np.arange(len(index), dtype=float), index=index)
    with tempodb.Client.local() as client:
        client.write_frame(values.to_frame("s"))
        start, end = datetime(2012, 2, 1), datetime(2012, 5, 1)
        server = client.read_frame(start, end, "7day", "sum", tz=zone)["s"]
    assert {t.day_name() for t in server.index} == {"Thursday"}
    wall = values.tz_localize(None).resample("7D", origin="epoch").sum()
    wall.index = wall.index.tz_localize(zone)
    # the server's first bucket starts before `start`; only points inside the range feed it
    pd.testing.assert_series_equal(server, wall.rename("s"), check_freq=False, check_index_type=False)
    assert values.resample("7D").sum().index[0].day_name() == "Wednesday"  # pandas: the first day's midnight
