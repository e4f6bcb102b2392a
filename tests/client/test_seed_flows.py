"""The 2013 README's demo flows, unchanged but for where the server is: embedded and over HTTP."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

import pytest

from tempodb import Client, DataPoint
from tempodb.testing import ServerInfo


@pytest.fixture(params=["embedded", "http"])
def client(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Client]:
    if request.param == "embedded":
        made = Client.local(f"{tmp_path}/seed.db")
    else:
        server: ServerInfo = request.getfixturevalue("tempodb_server")
        key, secret = server.new_credentials()
        made = Client(key, secret, server.host, server.port, False)
    with made:
        yield made


def test_write_demo_then_read_demo(client: Client) -> None:
    # tempodb-write-demo.py: 9 days of minute data into one series, a day per request.
    rng = random.Random(7)
    start = datetime.datetime(2012, 1, 1)
    for day in range(9):
        data = [
            DataPoint(start + datetime.timedelta(days=day, minutes=m), rng.uniform(0, 50))
            for m in range(1440)
        ]
        client.write_key("your-custom-key", data)

    # tempodb-read-demo.py: one day raw, then rolled up.
    one_day = client.read_key("your-custom-key", datetime.date(2012, 1, 1), datetime.date(2012, 1, 2))
    assert len(one_day.data) == 1440 and one_day.rollup is None
    assert one_day.summary is not None and one_day.summary.count == 1440

    hourly = client.read_key("your-custom-key", start, start + datetime.timedelta(days=1),
                             interval="1hour", function="mean")
    assert len(hourly.data) == 24
    assert hourly.data[0].value == pytest.approx(sum(p.value for p in one_day.data[:60]) / 60)

    daily = client.read(start, start + datetime.timedelta(days=9), keys=["your-custom-key"],
                        interval="1day", function="max")
    assert len(daily) == 1 and len(daily[0].data) == 9
    assert daily[0].data[0].value == max(p.value for p in one_day.data)
    assert daily[0].summary is not None and daily[0].summary.count == 9 * 1440
