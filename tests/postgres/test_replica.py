"""Primary + read replica: a server on a hot standby answers reads with the primary's data, and a
write sent to it is refused with a message that says where writes go (nothing is changed)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import tempodb
from tempodb import DataPoint, TempoDBError
from tempodb.testing import run_server

pytestmark = pytest.mark.slow

T0 = datetime(2013, 1, 1, tzinfo=timezone.utc)
CREDENTIALS = {"tenant": "tenant-secret"}


def _client(info: Any) -> tempodb.Client:
    return tempodb.Client("tenant", "tenant-secret", info.host, info.port, False, retry=False)


def test_a_server_on_a_replica_reads_and_refuses_writes(tmp_path: Path, postgres_cluster: Any, postgres_url: str) -> None:
    replica = postgres_cluster.start_replica()
    try:
        on_replica = postgres_url.replace(f":{postgres_cluster.port}/", f":{replica.port}/")
        with run_server(tmp_path / "primary", db_path=postgres_url, credentials=CREDENTIALS) as primary:
            with _client(primary.info) as client:
                client.write_key("k", [DataPoint(T0 + timedelta(minutes=i), i) for i in range(100)])
            # The secret is recorded on the primary before the replica's server starts, so it starts
            # without writing.
            deadline = time.monotonic() + 30
            with run_server(tmp_path / "replica", db_path=on_replica, credentials=CREDENTIALS) as reader, _client(reader.info) as client:
                while len(client.read_key("k", T0, T0 + timedelta(days=1)).data) < 100:
                    assert time.monotonic() < deadline, "the replica did not catch up"
                    time.sleep(0.1)
                hourly = client.read_key("k", T0, T0 + timedelta(hours=2), interval="1hour", function="sum").data
                assert [p.value for p in hourly] == [sum(range(60)), sum(range(60, 100))]
                with pytest.raises(TempoDBError) as refused:
                    client.write_key("k", [DataPoint(T0, 1000)])
                assert refused.value.status_code == 503 and "read-only replica" in str(refused.value)
    finally:
        replica.destroy()
