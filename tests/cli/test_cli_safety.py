"""The CLI never destroys or half-does what it was pointed at: ``export -o FILE`` replaces FILE only
after a complete export, a read-only command refuses a database file that does not exist (instead
of creating an empty one), and ``import`` checks every row before it writes the first point.
"""

from __future__ import annotations

import io
import os
import stat
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import tempodb
from tempodb.cli import main

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
RANGE = ["--start", "2012-01-01", "--end", "2012-01-02"]
PRECIOUS = "key,t,v\nkept,2011-01-01T00:00:00.000+00:00,1\n"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEMPODB_URL", "TEMPODB_KEY", "TEMPODB_SECRET"):
        monkeypatch.delenv(name, raising=False)


class _Forbidden(BaseHTTPRequestHandler):
    """Every request: 403, as TempoDB answers wrong credentials."""

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"Forbidden"
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forbidding() -> Iterator[str]:
    """The URL of a server on 127.0.0.1 that refuses every request with 403."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _db_with_points(path: Path, n: int = 10) -> None:
    with tempodb.Client.local(str(path)) as client:
        client.write_key("a", [tempodb.DataPoint(T0 + timedelta(minutes=i), float(i)) for i in range(n)])


def _precious(tmp_path: Path) -> Path:
    out = tmp_path / "out.csv"
    out.write_text(PRECIOUS, encoding="utf-8")
    out.chmod(0o640)
    return out


def _left_alone(out: Path) -> None:
    assert out.read_text(encoding="utf-8") == PRECIOUS
    assert [p.name for p in out.parent.iterdir() if p.name.endswith(".part")] == []


def test_export_refused_by_the_server_leaves_the_output_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forbidding: str
) -> None:
    out = _precious(tmp_path)
    argv = ["export", "--url", forbidding, "--key", "k", "--secret", "wrong", *RANGE, "-o", str(out)]
    assert main(argv) == 1
    assert "403" in capsys.readouterr().err
    _left_alone(out)


def test_export_from_a_missing_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _precious(tmp_path)
    typo = tmp_path / "tempdb.db"
    assert main(["export", "--db", str(typo), *RANGE, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tempodb: error: no database file") and "tempdb.db" in err and "--db" in err
    assert err.count("\n") == 1
    assert not typo.exists()
    _left_alone(out)


@pytest.mark.parametrize("command", [["read", "a", *RANGE], ["series"]])
def test_read_only_commands_refuse_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2  # the default database, tempodb.db, is not there
    assert "no database file 'tempodb.db'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_complete_export_replaces_the_file_and_keeps_its_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "data.db"
    _db_with_points(db)
    out = _precious(tmp_path)
    assert main(["export", "--db", str(db), *RANGE, "-o", str(out)]) == 0
    assert "exported 10 points" in capsys.readouterr().err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "key,t,v" and len(lines) == 11 and lines[1].startswith("a,2012-01-01T00:00:00")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.db", "out.csv"]


def test_a_new_export_file_gets_the_usual_mode(tmp_path: Path) -> None:
    db = tmp_path / "data.db"
    _db_with_points(db)
    umask = os.umask(0o022)
    try:
        assert main(["export", "--db", str(db), *RANGE, "-o", str(tmp_path / "new.csv")]) == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644


BAD_ON_LINE_6 = "key,t,v\nc,2012-01-01T00:00:00Z,1\nc,2012-01-01T00:01:00Z,1\nc,2012-01-01T00:02:00Z,1\n" \
    "c,2012-01-01T00:03:00Z,1\nc,2012-01-01T00:04:00Z,oops\n"


def _stored(db: Path) -> list[float]:
    with tempodb.Client.local(str(db)) as client:
        if not client.get_series(keys=["c"]):
            return []
        return [p.value for p in client.read_key("c", T0, T0 + timedelta(days=1), interval="raw").data]


@pytest.mark.parametrize("increment", [False, True])
def test_import_with_a_bad_row_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], increment: bool
) -> None:
    path, db = tmp_path / "in.csv", tmp_path / "t.db"
    path.write_text(BAD_ON_LINE_6, encoding="utf-8")
    flags = ["--increment"] if increment else []
    assert main(["import", str(path), "--db", str(db), "--batch-size", "2", *flags]) == 2
    err = capsys.readouterr().err
    assert "in.csv:6" in err and "nothing was imported" in err
    assert _stored(db) == []


def test_import_from_stdin_with_a_bad_row_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "t.db"
    monkeypatch.setattr("sys.stdin", io.StringIO(BAD_ON_LINE_6))
    assert main(["import", "--db", str(db), "--batch-size", "2", "--increment"]) == 2
    assert "stdin:6" in capsys.readouterr().err
    assert _stored(db) == []
    # The same rows, fixed, all go in from stdin (read twice through its spooled copy).
    monkeypatch.setattr("sys.stdin", io.StringIO(BAD_ON_LINE_6.replace("oops", "1")))
    assert main(["import", "--db", str(db), "--batch-size", "2", "--increment"]) == 0
    assert "imported 5 points" in capsys.readouterr().err
    assert _stored(db) == [1, 1, 1, 1, 1]


def test_import_failing_at_the_server_says_how_much_landed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forbidding: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(BAD_ON_LINE_6.replace("oops", "1"), encoding="utf-8")
    argv = ["import", str(path), "--url", forbidding, "--key", "k", "--secret", "wrong", "--increment"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "0 of 5 points were acknowledged" in err and "do NOT import it again with --increment" in err
