"""The InfluxDB peer section runs end to end at a tiny size and prints its side-by-side table.

It needs ``influxd`` (Debian/Ubuntu: ``apt-get install influxdb``) and is skipped without it; only
the shape of the output is checked, never a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._influx import influxd_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # starts influxd and tempodb serve: ~5 s
@pytest.mark.skipif(influxd_path() is None, reason="needs influxd (apt-get install influxdb)")
def test_peer_section_prints_the_side_by_side_table(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "peer", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "tempodb serve against InfluxDB" in done.stdout
    for measure in ("ingest, 1 series", "ingest, 100 series via write_multi", "hourly mean", "daily max in America/Chicago",
                    "raw read", "disk per point", "peak server RSS"):
        assert measure in done.stdout, measure
    rows = json.loads(out.read_text(encoding="utf-8"))["sections"]["peer"]
    assert all(row["value"] >= 0 and row["extra"]["influx"] >= 0 for row in rows)  # CPU rows may read 0 ticks
    assert all("max relative difference" in row["note"] for row in rows if "mean" in row["name"] or "max in" in row["name"])


def test_peer_section_is_skipped_with_a_note_without_influxd(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import peer

    monkeypatch.setattr(peer, "influxd_path", lambda: None)
    assert peer.run(10) == []
    assert "apt-get install influxdb" in capsys.readouterr().out
