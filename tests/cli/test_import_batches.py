"""``tempodb import`` reads a plain ``key,t,v`` file a batch at a time, column by column: it must
read exactly what the row-by-row path reads, points and refusals alike (the same error, naming the
same line), whatever the file holds."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tempodb import InvalidInputError
from tempodb._cli import transfer
from tempodb._cli.csvio import Layout, TimeReader

times = st.one_of(
    st.sampled_from(["Z", "+00:00", "-00:00", "+05:30", "", ".500Z", ".5+00:00", ".123456Z", ".Z", ",5Z", " ", "Z "]).map(
        lambda tail: "2020-01-01T00:00:00" + tail
    ),
    st.builds(lambda d, sep, tail: d.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + tail,
              st.datetimes(), st.sampled_from(["T", " ", "t"]), st.sampled_from(["Z", "+00:00", ".250Z", ""])),
    st.sampled_from(["2020-01-01", "2020/01/01 00:00", "1577836800", "yesterday", " 2020-01-01T00:00:00Z"]),
)  # fmt: skip
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["1.5", " 1.5 ", "1.", ".5", "1.e5", "1e5", "1.5e999", "nan", "inf", "1_0.5", "1.5.5", "", "x"]),
)
keys = st.one_of(st.sampled_from(["a", "b", "sensor.1", "", "\x85", "a,b", 'q"'] ), st.text(max_size=4))


exported_times = st.builds(
    lambda d, tail: d.strftime("%Y-%m-%dT%H:%M:%S") + tail,
    st.datetimes(), st.sampled_from(["Z", "+00:00", ".250Z", ".250+00:00", ".123456Z"]),
)
exported_rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "sensor.1"]), exported_times, st.floats(allow_nan=False, allow_infinity=False).map(repr)).map(list),
    min_size=1, max_size=30,
)  # fmt: skip


@st.composite
def files(draw: st.DrawFn) -> list[list[str]]:
    """Rows as ``tempodb export`` writes them, sometimes with one cell of any kind put in."""
    shape = draw(st.sampled_from(["exported", "one cell off", "anything"]))
    if shape == "anything":
        return draw(st.lists(st.tuples(keys, times, values).map(list), max_size=30))
    rows = draw(exported_rows)
    if shape == "one cell off":
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 2))
        rows[row][column] = draw((keys, times, values)[column])
    return rows


def _outcome(points: Any) -> list[Any] | str:
    try:
        return list(points)
    except InvalidInputError as exc:
        return f"refused: {exc}"


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, int | None, int | None, bool]:
    """How a file is laid out: its line ends, a short row, a blank line, an extra column, a final newline."""
    return (
        draw(st.sampled_from(["\n", "\r\n"])),
        draw(st.one_of(st.none(), st.none(), st.integers(0, 29))),
        draw(st.one_of(st.none(), st.none(), st.integers(0, 29))),
        draw(st.booleans()),
    )


def _file(rows: list[list[str]], layout: tuple[str, int | None, int | None, bool], extra: bool) -> str:
    ending, short, blank, final_newline = layout
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(["key", "t", "v", "note"] if extra else ["key", "t", "v"])
    for index, row in enumerate(rows):
        if index == blank:
            out.write(ending)
        writer.writerow(row[:2] if index == short else [*row, "x"] if extra else row)
    text = out.getvalue()
    return text if final_newline else text.removesuffix(ending)


def _reference_rows(text: str) -> Any:
    """The rows as the csv module reads them, one at a time (how import read them before batches)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    columns = transfer._Columns(header, "f.csv", Layout())
    for number, cells in enumerate(reader, 2):
        if len(cells) >= columns.width:
            yield number, cells[columns.t], cells[columns.v], cells[columns.key], None  # type: ignore[index]
        elif cells:
            raise InvalidInputError(f"f.csv:{number}: expected {columns.fields} fields as the header names, found {len(cells)}")


@settings(max_examples=400)
@given(files(), layouts(), st.booleans(), st.sampled_from(["write", "increment"]), st.sampled_from([1, 3, 4096]))
def test_batches_read_as_rows_do(
    rows: list[list[str]], shape: tuple[str, int | None, int | None, bool], extra: bool, kind: Any, batch: int
) -> None:
    text = _file(rows, shape, extra)
    layout = Layout(times=TimeReader())
    transfer._BATCH_ROWS, saved = batch, transfer._BATCH_ROWS
    try:
        by_batches = _outcome(itertools.chain.from_iterable(transfer._point_batches(io.StringIO(text, newline=""), "csv", "f.csv", kind, layout)))
        by_rows = _outcome(transfer._each_point(_reference_rows(text), "f.csv", kind, layout.times))
    finally:
        transfer._BATCH_ROWS = saved
    assert by_batches == by_rows


def test_an_exported_file_takes_the_column_path() -> None:
    rows = [[f"s{i % 3}", f"2020-01-01T00:00:{i:02d}.250Z", f"{i}.5"] for i in range(50)]
    columns = transfer._Columns(["key", "t", "v"], "f", Layout())
    assert columns.id is None
    parsed = columns.of_rows(range(2, 52), rows)
    plain = transfer._plain_points(parsed, "write", TimeReader())
    assert plain is not None and len(plain) == 50
    assert plain[7].item.key == "s1" and plain[7].item.v == 7.5 and plain[7].item.t.second == 7
    # One cell off the exported shapes sends the whole batch row by row.
    with_date = columns.of_rows(range(2, 53), [*rows, ["s0", "2020-01-01", "1.5"]])
    assert transfer._plain_points(with_date, "write", TimeReader()) is None


def test_checked_points_come_back_in_order_held_and_from_the_file() -> None:
    points = [p for batch in transfer._point_batches(
        io.StringIO("key,t,v\n" + "".join(f"k{i % 3},2020-01-01T00:00:{i % 60:02d}.{i:03d}Z,{i}.5\n" for i in range(1000)), newline=""),
        "csv", "f.csv", "write", Layout(times=TimeReader()),
    ) for p in batch]  # fmt: skip
    for held in (0, 7, 300, 5000):  # all in the file, some held, most held, all held
        checked = transfer._Checked(batch_size=64, held=held)
        for start in range(0, len(points), 100):
            checked.add(points[start : start + 100])
        assert checked.finish() == 1000
        batches = list(checked)
        checked.close()
        assert [len(b) for b in batches[:-1]] == [64] * (len(batches) - 1)
        assert [p for b in batches for p in b] == points
