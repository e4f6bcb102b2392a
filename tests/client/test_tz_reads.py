"""A call that names ``tz`` reads its naive datetimes and dates in that zone, as the CLI does."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import tempodb

LA = ZoneInfo("America/Los_Angeles")


def test_a_local_daily_rollup_of_a_year_has_one_bucket_per_local_day() -> None:
    with tempodb.Client.local() as client:
        first = datetime(2010, 1, 1, tzinfo=LA).astimezone(timezone.utc)  # hours added in UTC: real hours
        hours = [tempodb.DataPoint(first + timedelta(hours=h), 1) for h in range(24 * 365)]
        client.write_key("k", hours)
        days = client.read_key("k", date(2010, 1, 1), date(2011, 1, 1), interval="1day", function="sum", tz="America/Los_Angeles")
        assert len(days.data) == 365
        assert days.data[0].ts == datetime(2010, 1, 1, tzinfo=LA) and days.start == datetime(2010, 1, 1, tzinfo=LA)
        assert {p.value for p in days.data} == {23, 24, 25}  # DST days are 23 and 25 hours long
        utc_days = client.read_key("k", date(2010, 1, 1), date(2011, 1, 1), interval="1day", function="sum")
        assert utc_days.start == datetime(2010, 1, 1, tzinfo=timezone.utc)  # without tz: UTC, as before


def test_naive_times_mean_the_named_zone_in_every_call_that_takes_tz() -> None:
    with tempodb.Client.local() as client:
        client.write_key("k", [tempodb.DataPoint(datetime(2012, 6, 1, 9, tzinfo=LA), 5)])
        naive_nine = datetime(2012, 6, 1, 9)
        assert client.single_value_key("k", naive_nine, tz="America/Los_Angeles").data is not None
        assert client.single_value_key("k", naive_nine).data is None  # 09:00 UTC is another instant
        summary = client.summary_key("k", date(2012, 6, 1), date(2012, 6, 2), tz="America/Los_Angeles")
        assert summary.summary.count == 1
        streamed = list(client.stream_key("k", date(2012, 6, 1), date(2012, 6, 2), tz="America/Los_Angeles"))
        assert [p.value for p in streamed] == [5]
