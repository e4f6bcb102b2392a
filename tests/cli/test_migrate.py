"""``tempodb migrate``: SQLite -> PostgreSQL -> SQLite gives back exactly what went in, and an
interrupted run is finished by running it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import SeriesFilter
from tempodb._wire.timestamps import MAX_MS, MIN_MS
from tempodb.cli import main
from tempodb.server.factory import open_engine, open_store
from tempodb.server.secret_hash import hash_secret
from tempodb.server.storage import PointBatch, SeriesRecord

# Kinds must survive: 1 and 1.0 are different values, and the 64-bit extremes are exact.
POINTS = [(MIN_MS, 1), (-1, 1.0), (0, -(2**63)), (1, 2**63 - 1), (2, 0.1), (3, -0.0), (MAX_MS, 1e308)]


def _fill(path: str) -> None:
    store = open_store(path)
    try:
        store.set_secret("alpha", hash_secret("s1"))
        store.set_secret("beta", hash_secret("s2"))
        store.create_series("alpha", SeriesRecord(id="id-1", key="b", name="B", tags=["x", "y"], attributes={"z": "1", "a": "2"}))
        store.create_series("alpha", SeriesRecord(id="id-2", key="a\u00e9\U0001f600"))
        store.create_series("beta", SeriesRecord(id="id-1", key="b"))  # same id and key, another database
        store.write_points("alpha", [PointBatch(POINTS, SeriesRef("id", "id-1"))], increment=False)
        many = [(t * 1000, t if t % 2 else t / 2) for t in range(5000)]
        store.write_points("beta", [PointBatch(many, SeriesRef("key", "b"))], increment=False)
    finally:
        store.close()


def _dump(path: str) -> Any:
    """Everything a store holds, with the kind of every value."""
    store: Any = open_store(path)
    try:
        out = {}
        for database in store.databases():
            series = store.find_series(database, SeriesFilter())
            out[database] = (
                store.secret_record(database),
                [(s, [(t, v, type(v)) for t, v in store.read_points(database, s.id, MIN_MS, MAX_MS + 1)]) for s in series],
            )
        return out
    finally:
        store.close()


def test_round_trip_through_postgresql_is_identical(tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first, last = str(tmp_path / "first.db"), str(tmp_path / "last.db")
    _fill(first)
    assert main(["migrate", "--from", first, "--to", postgres_url, "--progress"]) == 0
    err = capsys.readouterr().err
    assert ("migrating" in err and "6/6 series" in err.replace(" ", "")) or "100%" in err
    assert "migrated 3 series in 2 databases" in err
    assert main(["migrate", "--from", postgres_url, "--to", last]) == 0
    assert _dump(first) == _dump(postgres_url) == _dump(last)
    # The secrets still open the data: a server on the copy demands them.
    engine = open_engine(last)
    try:
        from tempodb._wire.http import Request

        def status(key: str, secret: str) -> int:
            import base64

            auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
            return engine.handle(Request("GET", "http://h/v1/series/", {"Authorization": auth}, b"")).status_code

        assert (status("alpha", "s1"), status("alpha", "s2"), status("beta", "s2")) == (200, 403, 200)
    finally:
        engine.close()


def test_an_interrupted_migration_finishes_when_run_again(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(tmp_path / "source.db")
    _fill(source)
    from tempodb.server.postgres import PostgresStore

    real = PostgresStore.write_points
    calls = {"n": 0}

    def fail_on_second(self: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as a Ctrl-C half way would
        real(self, *args, **kwargs)

    monkeypatch.setattr(PostgresStore, "write_points", fail_on_second)
    assert main(["migrate", "--from", source, "--to", postgres_url]) == 130
    monkeypatch.setattr(PostgresStore, "write_points", real)
    assert _dump(source) != _dump(postgres_url)
    assert main(["migrate", "--from", source, "--to", postgres_url]) == 0
    assert _dump(source) == _dump(postgres_url)


def test_a_target_holding_other_points_fails_verification(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = str(tmp_path / "s.db"), str(tmp_path / "t.db")
    _fill(source)
    assert main(["migrate", "--from", source, "--to", target]) == 0
    store = open_store(target)
    store.write_points("beta", [PointBatch([(-5, 1)], SeriesRef("key", "b"))], increment=False)
    store.close()
    assert main(["migrate", "--from", source, "--to", target]) == 1
    assert "the source has 5000 points, the target 5001" in capsys.readouterr().err


def test_missing_source_and_memory_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--from", str(tmp_path / "nope.db"), "--to", str(tmp_path / "t.db")]) == 1
    assert "no database file" in capsys.readouterr().err
    _fill(str(tmp_path / "s.db"))
    assert main(["migrate", "--from", str(tmp_path / "s.db"), "--to", ":memory:"]) == 1
    assert "in-memory" in capsys.readouterr().err


# -- the law: whatever a store holds, SQLite -> PostgreSQL -> SQLite gives it back ----------------

_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=8)
_values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))
_series = st.fixed_dictionaries(
    {
        "key": _keys,
        "tags": st.lists(_keys, max_size=3, unique=True),
        "attributes": st.dictionaries(_keys, _keys, max_size=3),
        "points": st.dictionaries(st.integers(MIN_MS, MAX_MS), _values, max_size=20),
    }
)
_stores = st.dictionaries(_keys, st.lists(_series, max_size=3, unique_by=lambda s: s["key"]), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def shared_postgres(postgres_cluster: Any) -> Any:
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)


@pytest.mark.slow  # ~10 s: 25 stores, each migrated twice
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=_stores)
def test_any_store_survives_the_round_trip(tmp_path: Path, shared_postgres: str, content: dict[str, list[dict[str, Any]]]) -> None:
    import psycopg

    with psycopg.connect(shared_postgres, autocommit=True) as conn:  # each example starts empty
        conn.execute("TRUNCATE credentials, series, tags, attributes, points, partials")
    first, last = tmp_path / "first.db", tmp_path / "last.db"
    for path in (first, last):
        path.unlink(missing_ok=True)
    store = open_store(str(first))
    try:
        for database, series_list in content.items():
            store.set_secret(database, f"record-{database}")
            for n, s in enumerate(series_list):
                store.create_series(database, SeriesRecord(id=f"id{n}", key=s["key"], tags=s["tags"], attributes=s["attributes"]))
                store.write_points(database, [PointBatch(sorted(s["points"].items()), SeriesRef("id", f"id{n}"))], increment=False)
    finally:
        store.close()
    assert main(["migrate", "--from", str(first), "--to", shared_postgres]) == 0
    assert main(["migrate", "--from", shared_postgres, "--to", str(last)]) == 0
    assert _dump(str(first)) == _dump(shared_postgres) == _dump(str(last))
