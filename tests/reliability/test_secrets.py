"""Secrets: a key keeps its secret across server modes and restarts, the database file holds only
salted hashes (old plain files are migrated on open), ``tempodb serve`` refuses keys no client could
log in with, and a gzip body must be whole gzip and nothing else."""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tempodb._wire.http import Request
from tempodb.server import edge, open_engine, secret_hash
from tempodb.server.sqlite import SQLiteStore
from tempodb.testing import ServerInfo, run_server

POINTS = [{"t": "2012-01-01T00:00:00Z", "v": 1.5}, {"t": "2012-01-01T00:01:00Z", "v": 2.5}]
RANGE = {"start": "2012-01-01", "end": "2012-01-02"}


def _series(url: str, key: str, secret: str) -> httpx.Response:
    return httpx.get(url + "series/", auth=(key, secret), timeout=10)


def _file_bytes(db: Path) -> bytes:
    """The database file and whatever SQLite keeps next to it (WAL, shared memory, journal)."""
    return b"".join(path.read_bytes() for path in sorted(db.parent.glob(db.name + "*")))


# -- a key keeps its secret in every mode ------------------------------------------------------


def test_open_mode_on_a_configured_database_still_demands_the_configured_secret(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with run_server(tmp_path / "configured", db_path=db, credentials={"k1": "s1"}) as server:
        url = server.info.url
        assert httpx.post(url + "series/key/mine/data/", json=POINTS, auth=("k1", "s1"), timeout=10).status_code == 200
    with run_server(tmp_path / "open", db_path=db) as server:
        url = server.info.url
        # Before the fix the first caller claimed k1 with any secret and the owner got 403.
        assert _series(url, "k1", "not-s1").status_code == 403
        owner = _series(url, "k1", "s1")
        assert owner.status_code == 200 and [s["key"] for s in owner.json()] == ["mine"]
        assert _series(url, "k1", "not-s1").status_code == 403
        # A key with no secret yet is still claimed by its first secret, and keeps it.
        assert _series(url, "fresh", "first").status_code == 200
        assert _series(url, "fresh", "second").status_code == 403
        assert _series(url, "fresh", "first").status_code == 200
    with run_server(tmp_path / "open-again", db_path=db) as server:
        assert _series(server.info.url, "fresh", "second").status_code == 403
        assert _series(server.info.url, "fresh", "first").status_code == 200


def test_configured_secret_replaces_a_different_stored_one(tmp_path: Path) -> None:
    db = tmp_path / "claimed.db"
    with run_server(tmp_path / "open", db_path=db) as server:
        assert _series(server.info.url, "k1", "squatter").status_code == 200
    with run_server(tmp_path / "configured", db_path=db, credentials={"k1": "s1"}) as server:
        assert _series(server.info.url, "k1", "s1").status_code == 200
        assert _series(server.info.url, "k1", "squatter").status_code == 403
        assert "is not the configured one" in server.log_path.read_text()
    with run_server(tmp_path / "open-again", db_path=db) as server:
        assert _series(server.info.url, "k1", "squatter").status_code == 403
        assert _series(server.info.url, "k1", "s1").status_code == 200


# -- secrets at rest ---------------------------------------------------------------------------


def test_the_database_file_holds_no_secret(tmp_path: Path) -> None:
    db = tmp_path / "hashed.db"
    configured = "configured-Secret-" + "x" * 20
    claimed = "open-mode-Secret-" + "y" * 20
    with run_server(tmp_path / "configured", db_path=db, credentials={"k1": configured}) as server:
        assert _series(server.info.url, "k1", configured).status_code == 200
    with run_server(tmp_path / "open", db_path=db) as server:
        assert _series(server.info.url, "k2", claimed).status_code == 200
        assert _series(server.info.url, "k1", configured).status_code == 200
    stored = _file_bytes(db)
    assert b"k1" in stored and b"k2" in stored  # the keys are there ...
    assert configured.encode() not in stored and claimed.encode() not in stored  # ... their secrets are not
    with sqlite3.connect(db) as conn:
        records = dict(conn.execute("SELECT database, hash FROM credentials").fetchall())
    assert set(records) == {"k1", "k2"}
    assert all(record.startswith("scrypt$16384$8$1$") for record in records.values())
    assert records["k1"].split("$")[4] != records["k2"].split("$")[4]  # a salt of its own each


def _old_format_database(db: Path, pairs: dict[str, str]) -> None:
    """A database as servers before hashing left it: the secret in plain text."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE credentials (database TEXT PRIMARY KEY, secret TEXT NOT NULL) STRICT")
        conn.executemany("INSERT INTO credentials (database, secret) VALUES (?, ?)", pairs.items())
    conn.close()


def test_an_old_plain_database_still_authenticates_and_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    old_secret = "plain-old-Secret:" + "z" * 20
    _old_format_database(db, {"veteran": old_secret, "other": "other-plain-Secret-" + "w" * 20})
    assert old_secret.encode() in _file_bytes(db)
    with run_server(tmp_path / "open", db_path=db) as server:
        assert _series(server.info.url, "veteran", "guess").status_code == 403
        assert _series(server.info.url, "veteran", old_secret).status_code == 200
        assert _series(server.info.url, "other", "guess").status_code == 403
    stored = _file_bytes(db)
    assert old_secret.encode() not in stored and b"other-plain-Secret" not in stored
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(credentials)")]
        records = dict(conn.execute("SELECT database, hash FROM credentials").fetchall())
    conn.close()
    assert columns == ["database", "hash"]
    assert set(records) == {"veteran", "other"}
    assert secret_hash.verify_secret(old_secret, records["veteran"])
    # Opening the migrated file again changes nothing.
    SQLiteStore(str(db)).close()
    with sqlite3.connect(db) as conn:
        assert dict(conn.execute("SELECT database, hash FROM credentials").fetchall()) == records
    conn.close()


def test_migration_of_an_in_memory_style_store_keeps_every_row(tmp_path: Path) -> None:
    db = tmp_path / "many.db"
    pairs = {f"key-{i}": f"secret-{i}" for i in range(3)}
    _old_format_database(db, pairs)
    store = SQLiteStore(str(db))
    try:
        for key, secret in pairs.items():
            record = store.secret_record(key)
            assert record is not None and secret_hash.verify_secret(secret, record)
            assert not secret_hash.verify_secret(secret + "!", record)
    finally:
        store.close()


def test_stored_records_that_are_not_scrypt_are_a_server_fault() -> None:
    for broken in ("plain", "scrypt$x$8$1$AAAA$BBBB", "scrypt$16384$8$1$AAAA$", "md5$1$2$3$4$5"):
        with pytest.raises(ValueError, match="stored secret record"):
            secret_hash.verify_secret("s", broken)
    with pytest.raises(ValueError, match="need more than"):
        secret_hash.verify_secret("s", "scrypt$1073741824$8$1$AAAA$BBBB")


# -- the in-memory cache: scrypt once per key, never a wrong secret as right ---------------------


def _basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


class _Counted:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashes = 0
        self.verifies = 0
        real_hash, real_verify = secret_hash.hash_secret, secret_hash.verify_secret

        def counted_hash(secret: str) -> str:
            self.hashes += 1
            return real_hash(secret)

        def counted_verify(secret: str, record: str) -> bool:
            self.verifies += 1
            return real_verify(secret, record)

        monkeypatch.setattr(edge, "hash_secret", counted_hash)
        monkeypatch.setattr(edge, "verify_secret", counted_verify)

    @property
    def calls(self) -> tuple[int, int]:
        return self.hashes, self.verifies


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> _Counted:
    return _Counted(monkeypatch)


def test_scrypt_runs_once_per_key_and_process_and_wrong_secrets_stay_wrong(tmp_path: Path, counted: _Counted) -> None:
    db = str(tmp_path / "cache.db")

    def status(engine: Any, key: str, secret: str) -> int:
        return int(engine.handle(Request("GET", "http://x/v1/series/", _basic(key, secret), b"")).status_code)

    first = open_engine(db)
    try:
        assert status(first, "k", "right") == 200 and counted.calls == (1, 0)  # registered: one hash
        assert status(first, "k", "right") == 200 and counted.calls == (1, 0)  # remembered
        assert status(first, "k", "wrong") == 403 and counted.calls == (1, 0)  # the right one is known
        assert status(first, "k", "right") == 200
    finally:
        first.close()
    second = open_engine(db)  # a new process: nothing remembered yet
    try:
        assert status(second, "k", "wrong") == 403 and counted.calls == (1, 1)
        assert status(second, "k", "wrong") == 403 and counted.calls == (1, 1)  # remembered as wrong
        assert status(second, "k", "also-wrong") == 403 and counted.calls == (1, 2)
        assert status(second, "k", "right") == 200 and counted.calls == (1, 3)
        assert status(second, "k", "right") == 200 and counted.calls == (1, 3)
        assert status(second, "k", "wrong") == 403 and status(second, "k", "also-wrong") == 403
        assert status(second, "k", "") == 403
    finally:
        second.close()


def test_configured_keys_are_recorded_once_and_checked_without_scrypt(tmp_path: Path, counted: _Counted) -> None:
    db = str(tmp_path / "configured.db")
    open_engine(db, {"a": "sa", "b": "sb"}).close()
    assert counted.calls == (2, 0)
    engine = open_engine(db, {"a": "sa", "b": "sb"})  # already recorded: verified, not rewritten
    try:
        assert counted.calls == (2, 2)
        for _ in range(3):
            assert engine.handle(Request("GET", "http://x/v1/series/", _basic("a", "sa"), b"")).status_code == 200
            assert engine.handle(Request("GET", "http://x/v1/series/", _basic("a", "sb"), b"")).status_code == 403
            assert engine.handle(Request("GET", "http://x/v1/series/", _basic("c", "sc"), b"")).status_code == 403
        assert counted.calls == (2, 2)
    finally:
        engine.close()


# -- tempodb serve refuses keys HTTP Basic cannot carry ------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "tempodb.server", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=20)


def test_a_key_with_a_colon_is_refused_at_startup() -> None:
    done = _serve("--key", "a:b", "--secret", "s")
    assert done.returncode == 2
    assert "--key 'a:b': the key contains ':'" in done.stderr and "choose a key without ':'" in done.stderr
    assert "tempodb serving" not in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--key", "", "--secret", "s"), "--key '': the key is empty"),
        (("--key", "k", "--secret", ""), "--key 'k': the secret is empty"),
    ],
)
def test_empty_keys_and_secrets_are_refused_at_startup(args: tuple[str, ...], message: str) -> None:
    done = _serve(*args)
    assert done.returncode == 2 and message in done.stderr


def test_credentials_file_lines_are_checked_the_same_way(tmp_path: Path) -> None:
    creds = tmp_path / "creds.txt"
    creds.write_text("# team keys\nok:fine\n:no-key\n", encoding="utf-8")
    done = _serve("--credentials", str(creds))
    assert done.returncode == 2 and f"{creds}:3: the key is empty" in done.stderr
    creds.write_text("ok:fine\nempty:\n", encoding="utf-8")
    done = _serve("--credentials", str(creds))
    assert done.returncode == 2 and f"{creds}:2: the secret is empty" in done.stderr


# -- gzip bodies: whole, and nothing after ------------------------------------------------------


@pytest.fixture
def post(tempodb_server: ServerInfo) -> Iterator[Any]:
    with httpx.Client(base_url=tempodb_server.url, auth=tempodb_server.new_credentials(), timeout=10) as client:

        def send(body: bytes, path: str = "series/key/g/data/") -> httpx.Response:
            return client.post(path, content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

        send.client = client  # type: ignore[attr-defined]
        yield send


def test_a_truncated_gzip_body_is_400(post: Any) -> None:
    whole = gzip.compress(json.dumps(POINTS).encode())
    for cut in (len(whole) - 1, len(whole) - 8, len(whole) // 2, 10):
        response = post(whole[:cut])
        assert response.status_code == 400, cut
        assert "the gzip body is truncated" in response.text and "send the whole compressed body" in response.text
    assert post.client.get("series/").json() == []  # nothing half-written


def test_trailing_garbage_after_the_gzip_stream_is_400(post: Any) -> None:
    whole = gzip.compress(json.dumps(POINTS).encode())
    for tail in (b"x", b"\x00" * 4, b'[{"t":"2012-01-01T00:05:00Z","v":9}]'):
        response = post(whole + tail)
        assert response.status_code == 400, tail
        assert f"{len(tail)} bytes of trailing data after the gzip stream" in response.text
    assert post.client.get("series/").json() == []


def test_several_gzip_members_are_one_body(post: Any) -> None:
    text = json.dumps(POINTS).encode()
    half = len(text) // 2
    assert post(gzip.compress(text[:half]) + gzip.compress(text[half:])).status_code == 200
    assert [p["v"] for p in post.client.get("series/key/g/data/", params=RANGE).json()["data"]] == [1.5, 2.5]
