"""Opening the PostgreSQL store: embedded and CLI use by URL, the schema's version, and errors that
say what to do when the server is out of reach or the role lacks rights."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest

import tempodb
from tempodb.cli import main
from tempodb.server.postgres import PostgresAccessError, PostgresStore, PostgresUnreachableError
from tempodb.server.postgres_schema import SCHEMA_VERSION, SchemaTooNewError

T = datetime(2012, 1, 1, tzinfo=timezone.utc)


def test_client_local_and_the_cli_take_a_url(postgres_url: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with tempodb.Client.local(postgres_url) as client:
        client.write_key("k", [tempodb.DataPoint(T, 1), tempodb.DataPoint(datetime(2012, 1, 1, 0, 1, tzinfo=timezone.utc), 2.5)])
    csv = tmp_path / "in.csv"
    csv.write_text("2012-01-01T00:02:00Z,3\n", encoding="utf-8")
    assert main(["write", "k", str(csv), "--db", postgres_url]) == 0
    capsys.readouterr()
    assert main(["read", "k", "--db", postgres_url, "--start", "2012-01-01", "--end", "2012-01-02", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"v":1}' in out and '"v":2.5}' in out and '"v":3}' in out


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_a_clear_error() -> None:
    url = f"postgresql://someone:hunter2@127.0.0.1:{_closed_port()}/db"
    with pytest.raises(PostgresUnreachableError) as caught:
        PostgresStore(url, timeout=2)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL at postgresql://someone:***@127.0.0.1" in message
    assert "check that the server runs" in message and "hunter2" not in message


def test_serve_refuses_to_start_on_an_unreachable_database(tmp_path: Any) -> None:
    from tempodb.testing import run_server

    refused = pytest.raises(RuntimeError, match="cannot connect to PostgreSQL")
    with refused, run_server(tmp_path, db_path=f"postgresql://u:pw@127.0.0.1:{_closed_port()}/db"):
        pass


def test_a_role_without_rights_is_told_what_to_grant(postgres_cluster: Any, postgres_url: str) -> None:
    empty = postgres_url + "_empty"
    name = empty.rsplit("/", 1)[1]
    postgres_cluster.sql(f'CREATE DATABASE "{name}"')  # no tempodb schema yet
    postgres_cluster.sql("DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN")
    postgres_cluster.sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", name)
    try:
        as_reader = empty.replace(f"//{postgres_cluster.user}@", "//reader@")
        with pytest.raises(PostgresAccessError, match=r"role 'reader' lacks a right.*GRANT CREATE ON SCHEMA public TO reader"):
            PostgresStore(as_reader)
        # Once the owner has made the schema, a role with only row rights can serve.
        PostgresStore(empty).close()
        postgres_cluster.sql("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO reader", name)
        store = PostgresStore(as_reader)
        store.close()
    finally:
        postgres_cluster.drop_database(empty)


def test_a_schema_newer_than_this_tempodb_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO tempodb_schema (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="upgrade tempodb"):
        PostgresStore(postgres_url)
