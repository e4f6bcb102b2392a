"""``tempodb export`` / ``tempodb import`` round-trip many series through CSV and JSON lines."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import tempodb
from tempodb._cli.transfer import add_transfer_commands

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tempodb")
    add_transfer_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_round_trips(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = str(tmp_path / "source.db"), str(tmp_path / "target.db")
    with tempodb.Client.local(source) as client:
        for n, key in enumerate(("a", "b", "c")):
            client.write_key(key, [tempodb.DataPoint(T0 + timedelta(minutes=7 * i), i * (n + 0.5)) for i in range(500)])
            client.update_series(client.get_series_by_key(key).__class__(
                id=client.get_series_by_key(key).id, key=key, tags=["x"] if key != "c" else []))
    out = tmp_path / f"points.{fmt}"
    assert run("export", "--db", source, "--tag", "x", "--start", "2012-01-01", "--end", "2012-01-05",
               "--window", "200", "-o", str(out), "--progress") == 0
    assert "exported 1000 points" in capsys.readouterr().err
    assert run("import", str(out), "--db", target, "--batch-size", "333") == 0
    with tempodb.Client.local(source) as a, tempodb.Client.local(target) as b:
        for key in ("a", "b"):
            end = T0 + timedelta(days=5)
            assert b.read_key(key, T0, end, interval="raw").data == a.read_key(key, T0, end, interval="raw").data
        assert b.get_series(keys=["c"]) == []


def test_import_reports_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("key,t,v\na,2012-01-01T00:00:00Z,1\na,not-a-time,2\n", encoding="utf-8")
    with pytest.raises(tempodb.InvalidInputError, match=r"bad.csv:3"):
        run("import", str(path), "--db", str(tmp_path / "t.db"))
