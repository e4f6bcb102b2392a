"""The benchmark suite runs end to end (``--quick``) and reports every section.

Only the shape of the results is checked, never a timing: benchmarks are not assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._influx import influxd_path

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("encode", "decode", "overhead", "end_to_end", "scaling", "concurrency", "writer", "peer", "postgres")

pytest.importorskip("simplejson", reason="the benchmarks need the 'bench' extra")
pytest.importorskip("dateutil", reason="the benchmarks need the 'bench' extra")


@pytest.mark.slow  # ~7 s: every benchmark section once
def test_quick_run_reports_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["sections"]) == set(SECTIONS)
    for name in SECTIONS:
        rows = results["sections"][name]
        assert rows or (name == "peer" and influxd_path() is None), name  # peer needs influxd
        for row in rows:
            assert row["section"] == name
            assert row["value"] >= 0
    assert results["machine"]["cores"]
    assert all(goal["met"] is not None for goal in results["goals"])
