from datetime import date, datetime, timedelta, timezone

import pytest

from tempodb._core.errors import InvalidInputError
from tempodb._wire.timestamps import epoch_ms, parse_timestamp, to_datetime

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012-03-27T00:00:00", datetime(2012, 3, 27, tzinfo=UTC)),
        ("2012-03-27T01:02:03.000004", datetime(2012, 3, 27, 1, 2, 3, 4, tzinfo=UTC)),
        ("2012-01-01", datetime(2012, 1, 1, tzinfo=UTC)),
        ("2012-01-01T00:00:00Z", datetime(2012, 1, 1, tzinfo=UTC)),
        ("2012-01-01T00:00:00.000Z", datetime(2012, 1, 1, tzinfo=UTC)),
        ("2013-08-01T04:00:00.000-05:00", datetime(2013, 8, 1, 9, tzinfo=UTC)),
        ("2013-08-01T04:00:00.000-0500", datetime(2013, 8, 1, 9, tzinfo=UTC)),
        ("2012-01-08T00:21:54.000+0000", datetime(2012, 1, 8, 0, 21, 54, tzinfo=UTC)),
        ("2012-01-01T00:00:00+00:00", datetime(2012, 1, 1, tzinfo=UTC)),
        # a form-decoded "+" arrives as a space
        ("2013-08-01T04:00:00.000 05:00", datetime(2013, 7, 31, 23, tzinfo=UTC)),
        ("2012-01-01T00:00:00.123456789+05", datetime(2011, 12, 31, 19, 0, 0, 123456, tzinfo=UTC)),
        # local mean time, as the server writes it for Kolkata in 1850 and St John's until 1935
        ("1850-01-01T00:00:00.000+05:53:28", datetime(1849, 12, 31, 18, 6, 32, tzinfo=UTC)),
        ("1930-06-01T00:00:00.000-02:30:52", datetime(1930, 6, 1, 2, 30, 52, tzinfo=UTC)),
        ("1930-06-01T00:00:00-023052", datetime(1930, 6, 1, 2, 30, 52, tzinfo=UTC)),
    ],
)
def test_every_documented_form_parses_to_the_same_instant(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_naive_text_is_read_in_the_given_zone() -> None:
    zone = timezone(timedelta(hours=-6))
    assert parse_timestamp("2012-01-01T00:00:00", zone) == datetime(2012, 1, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2012-13-01", "2012-01-01T25:00:00", "1325376000", "2012-01-01T00:00:00+05:00:60"]
)
def test_garbage_is_refused_with_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid timestamp"):
        parse_timestamp(text)


def test_naive_means_utc_and_dates_mean_midnight_utc() -> None:
    assert to_datetime(datetime(2012, 1, 1, 5)) == datetime(2012, 1, 1, 5, tzinfo=UTC)
    assert to_datetime(date(2012, 1, 1)) == datetime(2012, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError):
        to_datetime("2012-01-01")  # type: ignore[arg-type]


def test_epoch_ms_truncates_below_the_millisecond() -> None:
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 0, 1999, tzinfo=UTC)) == 1
    assert epoch_ms(datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)) == -1
