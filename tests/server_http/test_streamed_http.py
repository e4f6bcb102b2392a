"""Big reads go out over a real socket as they are produced (chunked, no Content-Length), with the
bytes a whole body would have had; gzip streams too.  A slow test measures the server's memory."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import msgspec
import pytest

from tempodb.testing import ServerInfo, run_server

RANGE = {"start": "2012-01-01T00:00:00Z", "end": "2012-02-01T00:00:00Z", "interval": "raw"}
T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def api(tempodb_server: ServerInfo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tempodb_server.url, auth=tempodb_server.new_credentials(), timeout=30) as client:
        yield client


def _write(api: httpx.Client, key: str, count: int) -> None:
    for low in range(0, count, 100_000):
        points = [
            {"t": (T0 + timedelta(seconds=i)).isoformat(), "v": i * 0.5 if i % 2 else i}
            for i in range(low, min(low + 100_000, count))
        ]
        assert api.post(f"series/key/{key}/data/", json=points).status_code == 200


def test_a_big_read_is_streamed_and_intact(api: httpx.Client) -> None:
    _write(api, "big", 30_000)  # about 1.4 MB of JSON: over the 1 MB streaming threshold
    with api.stream("GET", "series/key/big/data/", params=RANGE, headers={"Accept-Encoding": "identity"}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        body = response.read()
    dataset = json.loads(body)
    assert len(dataset["data"]) == 30_000 and dataset["summary"]["count"] == 30_000
    assert dataset["data"][1] == {"t": "2012-01-01T00:00:01.000Z", "v": 0.5}
    assert msgspec.json.encode(dataset) == body  # exactly the JSON a whole body held, byte for byte

    zipped = api.get("series/key/big/data/", params=RANGE, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-length" not in zipped.headers
    assert zipped.content == body  # httpx inflated it
    small = api.get("series/key/big/data/", params={**RANGE, "end": "2012-01-01T00:10:00Z"}, headers={"Accept-Encoding": "identity"})
    assert int(small.headers["content-length"]) == len(small.content)  # small bodies stay whole


def _status_mb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    raise KeyError(field)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to reset the peak RSS")
def test_server_memory_of_a_big_read_stays_far_below_its_body(tmp_path: Path) -> None:
    count = 1_000_000  # a 46 MB body; the whole-body server peaked ~180 MB above its resting size
    with run_server(tmp_path, credentials={"k": "s"}) as server, httpx.Client(
        base_url=server.info.url, auth=("k", "s"), timeout=300
    ) as api:
        _write(api, "big", count)
        pid = server.process.pid
        resting = _status_mb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) restarts from now
        started = time.monotonic()
        size = 0
        identity = {"Accept-Encoding": "identity"}
        with api.stream("GET", "series/key/big/data/", params={**RANGE, "end": "2013-01-01"}, headers=identity) as response:
            for chunk in response.iter_raw():
                size += len(chunk)
        grown = _status_mb(pid, "VmHWM") - resting
        print(f"{count} points, {size / 1e6:.1f} MB in {time.monotonic() - started:.1f}s: server peak +{grown} MB")
        assert size > 40e6
        assert grown < 100
