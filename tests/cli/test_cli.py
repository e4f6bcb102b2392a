"""The ``tempodb`` command run in-process (``main([...])``) on temporary embedded databases,
plus the ``python -m`` entry points and the demo scripts as subprocesses."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tempodb import Client, TempoDBError
from tempodb.cli import main
from tempodb.testing import ServerInfo

ROOT = Path(__file__).resolve().parents[2]

CSV = """t,v
2012-01-01T00:00:00Z,1.5
2012-01-01T00:01:00Z,2.25
2012-01-01T00:02:00+00:00,-3.125
2012-01-01T00:03:00Z,4e-3
"""
VALUES = [1.5, 2.25, -3.125, 0.004]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own TEMPODB_* settings must not send these tests to a real server.
    for name in ("TEMPODB_URL", "TEMPODB_KEY", "TEMPODB_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _new_db(path: Path) -> None:
    """An empty embedded database file, for commands that refuse to create one."""
    Client.local(str(path)).close()
    assert path.exists()


def _write_csv(tmp_path: Path, text: str, name: str = "points.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "demo.db")
    assert main(["demo", "--db", db]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert f"embedded database {db}" in out
    # Not a terminal: the bar is written once, in its final state.
    assert "100%  12960/12960 points" in out
    assert "\r" not in out
    assert "One day raw, 2012-01-01: 1440 points" in out
    assert "summary: count=1440 " in out
    assert "Hourly means, 2012-01-01 to 2012-01-10: 216 points" in out
    assert "summary: count=12960 " in out
    chart_rows = [line for line in out.splitlines() if "┤" in line or "│" in line]
    assert len(chart_rows) == 12
    assert any(chr(0x2800) < ch <= chr(0x28FF) for ch in "".join(chart_rows))
    assert "└" in out
    assert "Daily maximum: 9 points" in out
    assert "  2012-01-09  " in out
    # The data is there for later commands, and the same on every run.
    with Client.local(db) as client:
        assert len(client.read_key("demo-series", date(2012, 1, 1), date(2012, 1, 2)).data) == 1440


def test_demo_output_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for name in ("a.db", "b.db"):
        assert main(["demo", "--days", "2", "--db", str(tmp_path / name)]) == 0
        out = capsys.readouterr().out
        outputs.append([line for line in out.splitlines() if "points" not in line and ".db" not in line])
    assert outputs[0] == outputs[1]


def test_write_then_read_csv_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    assert main(["write", "temp", _write_csv(tmp_path, CSV), "--db", db, "--batch-size", "3"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "wrote 4 points to 'temp'" in err

    assert main(["read", "temp", "--start", "2012-01-01", "--end", "2012-01-02", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "t,v"
    assert [float(line.split(",")[1]) for line in lines[1:]] == VALUES
    assert lines[1].startswith("2012-01-01T00:00:00+00:00,")

    assert main(["read", "temp", "--start", "2012-01-01", "--end", "2012-01-02", "--format", "json", "--db", db]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [p["v"] for p in document["data"]] == VALUES
    assert document["series"]["key"] == "temp"
    assert document["summary"]["count"] == 4


def test_write_from_stdin_without_header_and_read_rollup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "t.db")
    monkeypatch.setattr(sys, "stdin", io.StringIO(CSV.split("\n", 1)[1]))
    assert main(["write", "temp", "-", "--db", db]) == 0
    capsys.readouterr()
    argv = ["read", "temp", "--start", "2012-01-01", "--end", "2012-01-02", "--interval", "1hour", "--function", "max"]
    assert main([*argv, "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == ["t,v", "2012-01-01T00:00:00+00:00,2.25"]


def test_write_progress_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    assert main(["write", "temp", _write_csv(tmp_path, CSV), "--db", db, "--batch-size", "1", "--progress"]) == 0
    err = capsys.readouterr().err
    redraws = err.split("\n")[0].split("\r")[1:]
    assert 2 <= len(redraws) <= 6  # drawn on start and at the end; between, at most ~10 a second
    assert "  0%  0/4 points" in redraws[0]
    assert "100%  4/4 points" in redraws[-1]


def test_bad_csv_line_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    path = _write_csv(tmp_path, "t,v\n2012-01-01T00:00:00Z,1\n2012-01-01T00:01:00Z,abc\n")
    assert main(["write", "temp", path, "--db", db]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"tempodb: error: {path}, line 3: invalid value 'abc': expected a finite number\n"
    with Client.local(db) as client:
        assert client.get_series() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2012-01-01T00:00:00Z,1,2\n", "line 1: expected 2 fields t,v, found 3"),
        ("t,v\n\nyesterday,1\n", "line 3: invalid timestamp 'yesterday'"),
        ("2012-01-01,nan\n", "line 1: invalid value 'nan'"),
    ],
)
def test_bad_csv_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    assert main(["write", "temp", _write_csv(tmp_path, text), "--db", str(tmp_path / "t.db")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_series_listing_and_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.db")
    with Client.local(db) as client:
        for key, tags, attributes in [
            ("cpu.web1", ["cpu", "web"], {"host": "web1"}),
            ("cpu.db1", ["cpu"], {"host": "db1"}),
            ("mem.web1", ["mem", "web"], {"host": "web1"}),
        ]:
            series = client.create_series(key)
            series.tags = tags
            series.attributes = attributes
            client.update_series(series)

    assert main(["series", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["KEY", "ID", "NAME", "TAGS", "ATTRIBUTES"]
    assert sorted(line.split()[0] for line in lines[1:]) == ["cpu.db1", "cpu.web1", "mem.web1"]

    assert main(["series", "--tag", "web", "--db", db]) == 0
    keys = sorted(line.split()[0] for line in capsys.readouterr().out.splitlines()[1:])
    assert keys == ["cpu.web1", "mem.web1"]

    assert main(["series", "--tag", "cpu", "--attr", "host=web1", "--format", "json", "--db", db]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(s["key"], s["tags"], s["attributes"]) for s in found] == [("cpu.web1", ["cpu", "web"], {"host": "web1"})]

    assert main(["series", "-k", "mem.web1", "--db", db]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == ["mem.web1"]


def test_env_key_selects_database_in_default_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPODB_KEY", "alice")
    monkeypatch.setenv("TEMPODB_SECRET", "alice-secret")
    assert main(["write", "temp", _write_csv(tmp_path, CSV)]) == 0
    assert "embedded database tempodb.db (key alice)" in capsys.readouterr().err
    assert (tmp_path / "tempodb.db").exists()

    assert main(["series", "--format", "json"]) == 0
    assert [s["key"] for s in json.loads(capsys.readouterr().out)] == ["temp"]
    # Another key is another database in the same file.
    assert main(["series", "--key", "bob", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_env_url_targets_a_server(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tempodb_server: ServerInfo,
    tempodb_credentials: tuple[str, str],
) -> None:
    key, secret = tempodb_credentials
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPODB_URL", tempodb_server.url)
    monkeypatch.setenv("TEMPODB_KEY", key)
    monkeypatch.setenv("TEMPODB_SECRET", secret)
    assert main(["write", "temp", _write_csv(tmp_path, CSV)]) == 0
    err = capsys.readouterr().err
    assert f"server http://127.0.0.1:{tempodb_server.port}/" in err
    assert secret not in err
    assert main(["read", "temp", "--start", "2012-01-01", "--end", "2012-01-02", "--format", "json"]) == 0
    assert [p["v"] for p in json.loads(capsys.readouterr().out)["data"]] == VALUES
    assert not (tmp_path / "tempodb.db").exists()
    # --db wins over the environment's server.
    _new_db(tmp_path / "x.db")
    assert main(["series", "--db", str(tmp_path / "x.db"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_missing_series_is_one_error_line_without_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cret-do-not-print"
    _new_db(tmp_path / "e.db")
    argv = ["read", "nope", "--start", "2012-01-01", "--end", "2012-01-02", "--db", str(tmp_path / "e.db")]
    assert main([*argv, "--key", "k", "--secret", secret]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("tempodb: error: HTTP 403")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert secret not in err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["series"], {"TEMPODB_URL": "http://u:pw-secret@127.0.0.1:1"}, "must not hold credentials"),
        (["series"], {"TEMPODB_URL": "ftp://example.com"}, "invalid server URL"),
        (["series"], {"TEMPODB_URL": "http://127.0.0.1:1/other/"}, "only have the path /v1/"),
        (["series"], {"TEMPODB_URL": "http://127.0.0.1:1"}, "needs an API key and secret"),
        (["series", "--db", "x.db", "--url", "http://127.0.0.1:1"], {}, "not both"),
        (["read", "s", "--start", "soon", "--end", "2012-01-02"], {}, "invalid timestamp 'soon'"),
        (["read", "s", "--start", "2012-01-01", "--end", "2012-01-02", "--tz", "Mars/Base"], {}, "unknown time zone"),
        (["read", "s", "--start", "2012-01-01", "--end", "2012-01-02", "--interval", "fortnight"], {}, "interval"),
        (["write", "s", "does-not-exist.csv"], {}, "No such file"),
    ],
)
def test_bad_input_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    _new_db(tmp_path / "tempodb.db")  # the default database exists: each case fails on its own fault
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == (1 if message == "No such file" else 2)
    assert out == ""
    assert err.startswith("tempodb: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "pw-secret" not in err


def test_usage_errors_return_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "s"]) == 2
    assert "--start" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["series", "--attr", "novalue"]) == 2
    assert "expected name=value" in capsys.readouterr().err
    assert main(["--version"]) == 0


def test_serve_delegates_to_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempodb.server import serve

    seen = []

    def run(args: argparse.Namespace) -> int:
        seen.append((args.port, args.db))
        return 7

    monkeypatch.setattr(serve, "run", run)
    assert main(["serve", "--port", "0", "--db", ":memory:"]) == 7
    assert seen == [(0, ":memory:")]


def test_client_errors_are_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise TempoDBError("the server went away\nsecond line")

    _new_db(tmp_path / "x.db")
    monkeypatch.setattr(Client, "get_series", boom)
    assert main(["series", "--db", str(tmp_path / "x.db")]) == 1
    assert capsys.readouterr().err == "tempodb: error: the server went away; second line\n"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPODB_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_python_m_tempodb_help(tmp_path: Path) -> None:
    result = _run(["-m", "tempodb", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "demo", "write", "read", "series"):
        assert command in result.stdout


def test_demo_scripts_share_a_database_in_the_cwd(tmp_path: Path) -> None:
    write = _run(["-m", "tempodb.demo.tempodb_write_demo"], tmp_path)
    assert write.returncode == 0, write.stderr
    assert write.stdout.splitlines()[0] == "2012-01-01 00:00:00"
    assert len(write.stdout.splitlines()) == 9
    assert (tmp_path / "tempodb-demo.db").exists()

    read = _run(["-m", "tempodb.demo.tempodb_read_demo"], tmp_path)
    assert read.returncode == 0, read.stderr
    lines = read.stdout.splitlines()
    assert len(lines) == 1441
    assert lines[0].startswith("DataPoint(ts=datetime.datetime(2012, 1, 1, 0, 0")
    assert lines[-1].startswith("Summary(count=1440,")

    bulk = _run(["-m", "tempodb.demo.tempodb_bulk_write_demo"], tmp_path)
    assert bulk.returncode == 0, bulk.stderr
    assert [line.split()[0] for line in bulk.stdout.splitlines()] == [f"custom-series-key{i}" for i in range(1, 5)]
    assert "value=4.44" in bulk.stdout
