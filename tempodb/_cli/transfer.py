"""``tempodb export`` and ``tempodb import``: move many series in and out as CSV or JSON lines.

Export streams the range window by window (memory stays flat whatever its length); import feeds
the batching writer, so a file of any size goes in as multi writes of ``--batch-size`` points.
Both files have one point per row: ``key,t,v`` (CSV with a header) or ``{"key","t","v"}`` lines;
import also takes an ``id`` column instead of ``key``, headers under other names (``--rename``), times
in other forms (``--time-format``, ``--tz``), and wide CSV files with a series per value column
(``--value-column``, named by ``--key-template``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import repeat
from math import isfinite
from operator import attrgetter, itemgetter, methodcaller
from typing import IO, Any, NamedTuple, TextIO

import msgspec

from tempodb._cli.args import add_range_arguments, add_selection_arguments, range_from_args, selection_from_args
from tempodb._cli.csvio import (
    ISO_TIME_MARKS,
    Layout,
    TimeReader,
    add_layout_arguments,
    layout_from_args,
    number,
    read_table,
    whole_fraction,
)
from tempodb._cli.progress import Progress
from tempodb._cli.target import DEFAULT_DB, add_target_arguments, open_client, target_from_args
from tempodb._core.errors import InvalidInputError, TempoDBError
from tempodb._core.protocol import MultiItem
from tempodb._core.writer import BufferedPoint, Kind, WriterCore
from tempodb._wire.timestamps import UTC, epoch_ms

__all__ = ["add_transfer_commands", "cmd_export", "cmd_import"]

FORMATS = ("csv", "jsonl")


def _format_of(args_format: str | None, path: str | None) -> str:
    if args_format:
        return args_format
    if path and path.lower().endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def _window(text: str) -> timedelta | int:
    """``5000`` points per window, or a span such as ``1day``/``6hour``/``PT1H``."""
    if text.isdigit():
        return int(text)
    from tempodb._wire.intervals import parse_interval

    interval = parse_interval(text)
    if interval is None or interval.seconds is None:
        raise argparse.ArgumentTypeError(f"window must be a number of points or a fixed span like 1day, not {text!r}")
    return timedelta(seconds=interval.seconds)


def _progress(args: argparse.Namespace, total: int, label: str, unit: str) -> Progress:
    return Progress(total, sys.stderr, label=label, unit=unit, mode="live" if args.progress else "auto")


def cmd_export(args: argparse.Namespace) -> int:
    start, end = range_from_args(args)
    fmt = _format_of(args.format, args.output)
    origin, total = epoch_ms(start), max((epoch_ms(end) - epoch_ms(start)) // 1000, 1)
    count = covered = 0
    step = max(total // 1000, 1)  # redraw every 0.1% of the range, not every point
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(open_client(target_from_args(args, DEFAULT_DB), create=False))
        points = stack.enter_context(client.stream(
            start, end, args.interval, args.function, **selection_from_args(args), tz=args.tz, window=args.window,
        ))  # fmt: skip
        out = sys.stdout
        if args.output not in (None, "-"):
            # FILE is replaced only once the whole export succeeded: a failed one leaves it as it was.
            out = stack.enter_context(_replacing(args.output))
        progress = stack.enter_context(_progress(args, total, "export", "s"))
        write = _writer(out, fmt)
        for series, point in points:
            write(series.key, point.ts.isoformat(timespec="milliseconds"), point.value)
            count += 1
            # Windows advance through time (within one, series come one after another): the bar
            # follows the furthest instant written, in seconds of the range.
            reached = (epoch_ms(point.ts) - origin) // 1000
            if reached - covered >= step:
                progress.advance(reached - covered)
                covered = reached
        progress.advance(total - covered)
        out.flush()
    print(f"exported {count} points", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _replacing(path: str) -> Iterator[TextIO]:
    """A new file next to ``path`` that replaces it when the block ends without error (the old
    ``path``, if any, stays untouched otherwise, and the new file is removed)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        old_mode: int | None = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        old_mode = None
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=directory)
    try:
        if old_mode is None:  # mkstemp makes 0600; a new export gets the usual mode for new files
            umask = os.umask(0)
            os.umask(umask)
            old_mode = 0o666 & ~umask
        os.chmod(temporary, old_mode)
        with open(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _writer(out: TextIO, fmt: str) -> Any:
    if fmt == "csv":
        rows = csv.writer(out, lineterminator="\n")
        rows.writerow(("key", "t", "v"))
        return lambda key, t, v: rows.writerow((key, t, v))
    encode = msgspec.json.encode
    return lambda key, t, v: out.write(encode({"key": key, "t": t, "v": v}).decode() + "\n")


#: One input row as found: line number, then the ``t``, ``v``, ``key`` and ``id`` fields (None when absent).
_Row = tuple[int, Any, Any, Any, Any]


def _rows(stream: Iterable[str], fmt: str, name: str, layout: Layout) -> Iterator[_Row]:
    """Every row of the input as ``(line number, t, v, key, id)`` (CSV header cells renamed as the
    layout says, its time column read as ``t``); a row without ``t`` or ``v`` raises
    ``InvalidInputError`` naming its line."""
    if fmt == "jsonl":
        decode = msgspec.json.decode
        for number, line in enumerate(stream, 1):
            if line.strip():
                try:
                    row = decode(line)
                except msgspec.DecodeError as exc:
                    raise InvalidInputError(f"{name}:{number}: not JSON: {exc}") from None
                if not isinstance(row, dict) or "t" not in row or "v" not in row:
                    raise InvalidInputError(f"{name}:{number}: expected an object with key (or id), t and v")
                yield number, row["t"], row["v"], row.get("key"), row.get("id")
        return
    for block in _csv_batches(stream, name, layout):
        yield from block.rows()


class _Columns:
    """Where a long CSV file keeps each field (by index, not a dict per row), from its header."""

    def __init__(self, header: list[str], name: str, layout: Layout) -> None:
        renames = dict(layout.rename)
        if layout.time_column:
            renames[layout.time_column] = "t"
        # The last of two same-named columns wins.
        where = {renames.get(c.strip(), c.strip()).lower(): i for i, c in enumerate(header)}
        if "t" not in where or "v" not in where or not ({"key", "id"} & set(where)):
            raise InvalidInputError(
                f"{name}:1: the CSV header must name the columns key (or id), t and v: map other names with "
                "--rename (e.g. --rename Date=t), or import a column per series with --value-column"
            )
        self.t, self.v, self.key, self.id = where["t"], where["v"], where.get("key"), where.get("id")
        self.width = max(where.values()) + 1
        self.fields = len(header)

    def of_rows(self, lines: Sequence[int], rows: list[list[str]]) -> _Block:
        """The block of whole rows (each at least ``width`` cells), read by index in C loops."""
        return self._block(lines, lambda index: list(map(itemgetter(index), rows)))

    def of_cells(self, lines: Sequence[int], cells: list[str]) -> _Block:
        """The block of rows laid end to end in ``cells``, each as long as the others."""
        fields = len(cells) // len(lines)
        return self._block(lines, lambda index: cells[index::fields])

    def _block(self, lines: Sequence[int], column: Callable[[int], list[str]]) -> _Block:
        return _Block(
            lines, column(self.t), column(self.v),
            None if self.key is None else column(self.key), None if self.id is None else column(self.id),
        )  # fmt: skip


class _Block(NamedTuple):
    """A batch of a long CSV file's rows, column by column: their line numbers and the cells of t,
    v, key and id (None for a column the file does not have)."""

    lines: Sequence[int]
    times: list[str]
    values: list[str]
    keys: list[str] | None
    ids: list[str] | None

    def rows(self) -> Iterator[_Row]:
        """The rows one by one, as ``_each_point`` reads them."""
        absent = repeat(None)
        # strict=False: an absent column is an endless repeat(None), which the line numbers end.
        return zip(self.lines, self.times, self.values, absent if self.keys is None else self.keys,
                   absent if self.ids is None else self.ids, strict=False)  # fmt: skip


_COMMAS = methodcaller("count", ",")


def _plain_cells(block: list[str], width: int) -> list[str] | None:
    """The cells of CSV lines, row after row, when the lines are plain (no quote, no carriage
    return or NUL, the same number of fields on every line, at least ``width``, none past the csv
    module's field size limit): then splitting at commas reads what ``csv.reader`` reads, in a
    few C calls instead of a list per row.  None for any other block."""
    text = "".join(block)
    commas = set(map(_COMMAS, block))
    if (
        len(commas) != 1
        or min(commas) + 1 < width
        or '"' in text or "\r" in text or "\x00" in text
        or text.count("\n") < len(block) - 1
        or max(map(len, block)) > csv.field_size_limit()
    ):  # fmt: skip
        return None
    body = text[:-1] if text.endswith("\n") else text
    if body.count("\n") != len(block) - 1:  # a line without its newline ran into the next
        return None
    return body.replace("\n", ",").split(",")


def _csv_batches(stream: Iterable[str], name: str, layout: Layout) -> Iterator[_Block]:
    """The rows of a long CSV file a block at a time; a short row raises ``InvalidInputError``
    naming its line, once the rows before it were handed over (so a problem earlier in the file is
    the one reported, as when rows were read one at a time)."""
    lines = iter(stream)
    reader = csv.reader(lines)  # it reads a line only when it needs one: the header's, here
    header = next(reader, None)
    if header is None:
        return
    columns = _Columns(header, name, layout)
    number = 2
    while block := list(itertools.islice(lines, _BATCH_ROWS)):
        cells = _plain_cells(block, columns.width)
        if cells is None:  # quotes, blank lines, ragged rows...: the csv module reads the rest
            reader = csv.reader(itertools.chain(block, lines))
            break
        yield columns.of_cells(range(number, number + len(block)), cells)
        number += len(block)
    while batch := list(itertools.islice(reader, _BATCH_ROWS)):
        if min(map(len, batch)) >= columns.width:  # every row whole (the usual batch)
            yield columns.of_rows(range(number, number + len(batch)), batch)
            number += len(batch)
            continue
        whole: list[list[str]] = []
        numbers: list[int] = []
        for cells in batch:
            if len(cells) >= columns.width:
                whole.append(cells)
                numbers.append(number)
            elif cells:
                yield columns.of_rows(numbers, whole)
                raise InvalidInputError(f"{name}:{number}: expected {columns.fields} fields as the header names, found {len(cells)}")
            number += 1
        yield columns.of_rows(numbers, whole)


def cmd_import(args: argparse.Namespace) -> int:
    fmt = _format_of(args.format, args.file)
    if args.batch_size < 1:
        raise InvalidInputError("--batch-size must be at least 1")
    name = "stdin" if args.file in (None, "-") else args.file
    kind: Kind = "increment" if args.increment else "write"
    with contextlib.ExitStack() as stack:
        if name == "stdin":
            source: IO[str] = sys.stdin
        else:
            source = stack.enter_context(open(args.file, encoding="utf-8", newline=""))
        # Every row is checked before the first request: a bad one is reported with nothing written
        # (a re-run with --increment would otherwise count the rows before it twice).  The checked
        # points wait (``_Checked``), so the input is parsed once and memory stays bounded.
        layout = layout_from_args(args)
        if layout.value_columns and fmt != "csv":
            raise InvalidInputError("--value-column reads columns of a CSV file, not JSON lines")
        checked = _Checked(args.batch_size)
        stack.callback(checked.close)
        try:
            for batch in _point_batches(source, fmt, name, kind, layout):
                checked.add(batch)
            total = checked.finish()
        except InvalidInputError as exc:
            raise InvalidInputError(f"{exc}; nothing was imported: fix that line and run the import again") from None
        client = stack.enter_context(open_client(target_from_args(args, DEFAULT_DB)))
        progress = stack.enter_context(_progress(args, total, "import", "points"))
        writer = client.writer(max_points=args.batch_size)
        try:
            with writer:
                for batch in checked:
                    writer.resend(batch)
                    progress.advance(len(batch))
        except TempoDBError as exc:
            sent = writer.stats.sent
            again = "importing the file again is safe" if kind == "write" else (
                "do NOT import it again with --increment: the acknowledged points would count twice"
            )
            raise TempoDBError(f"{exc} ({sent} of {total} points were acknowledged before the failure; {again})") from exc
    print(f"imported {total} points", file=sys.stderr)
    return 0


def _point_batches(stream: Iterable[str], fmt: str, name: str, kind: Kind, layout: Layout) -> Iterator[list[BufferedPoint]]:
    """Every row (every value of a row, with ``--value-column``) as a ``kind`` point the writer
    takes as it is, in lists (a list per batch of rows: no generator step per point); a bad row
    raises ``InvalidInputError`` naming its line."""
    if fmt == "csv" and not layout.value_columns:
        for block in _csv_batches(stream, name, layout):
            plain = _plain_points(block, kind, layout.times) if block.ids is None else None
            yield list(_each_point(block.rows(), name, kind, layout.times)) if plain is None else plain
        return
    points = _table_points(stream, name, kind, layout) if layout.value_columns else (
        _each_point(_rows(stream, fmt, name, layout), name, kind, layout.times)
    )  # fmt: skip
    while batch := list(itertools.islice(points, _BATCH_ROWS)):
        yield batch


def _table_points(stream: Iterable[str], name: str, kind: Kind, layout: Layout) -> Iterator[BufferedPoint]:
    """The points of a wide CSV file (``--value-column``), value by value."""
    point = WriterCore.point
    for column_key, found in read_table(stream, layout, name):
        try:
            yield point(kind, found.ts, found.value, column_key, None)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{name}: series {column_key!r}: {exc}") from None


def _each_point(rows: Iterable[_Row], name: str, kind: Kind, times: TimeReader) -> Iterator[BufferedPoint]:
    """The points of ``rows``, row by row: every cell read and checked, a problem named by its line."""
    point = WriterCore.point
    for line, t, v, key, series_id in rows:
        try:
            ts = times(t if type(t) is str else str(t))
            value = v if isinstance(v, (int, float)) else number(str(v))
            series_id = series_id or None
            yield point(kind, ts, value, None if series_id else key or None, series_id)
        except (InvalidInputError, ValueError) as exc:
            raise InvalidInputError(f"{name}:{line}: {exc}") from None


#: Rows read, checked and spooled together: the column-wise path below works a batch at a time.
_BATCH_ROWS = 4096
_MARKS = itemgetter(slice(4, 14, 3))  # characters 4, 7, 10 and 13, as TimeReader's gate reads them
_AFTER_SECONDS = itemgetter(slice(19, 21))
_ZONE = attrgetter("tzinfo")


def _plain_points(block: _Block, kind: Kind, times: TimeReader) -> list[BufferedPoint] | None:
    """The points of a block of ``key,t,v`` rows in the shapes ``tempodb export`` writes (ISO times
    in UTC with a time of day, printable keys, decimal values), made column by column in C loops;
    None when any cell is otherwise, and the batch is read row by row (which names any problem).

    The same reading as ``_each_point``'s: ``TimeReader``'s ISO gate and ``fromisoformat``, a float
    for a cell with a point (``number`` reads those so), the plain item's key rule.  Per row, the
    row by row path costs several Python calls, which were most of an import's time."""
    stamps_text, values_text, keys = block.times, block.values, block.keys
    if not times.iso or keys is None:
        return None
    if not set(map(_MARKS, stamps_text)) <= ISO_TIME_MARKS or not all(map(whole_fraction, set(map(_AFTER_SECONDS, stamps_text)))):
        return None
    if not all(key and key.isprintable() for key in set(keys)):
        return None
    try:
        stamps = list(map(datetime.fromisoformat, stamps_text))
        values = list(map(float, values_text))
    except ValueError:
        return None
    # Every value cell holds a point (so ``number`` keeps it a float) and every value is finite.
    if "".join(values_text).count(".") != len(values) or not isfinite(sum(values)):
        return None
    if set(map(_ZONE, stamps)) != {UTC}:  # naive times are read in --tz, other offsets checked: row by row
        return None
    return list(map(BufferedPoint, repeat(kind), map(MultiItem, values, stamps, repeat(None), keys)))


class _Checked:
    """An import's checked points, waiting for its first request (every row is checked before
    anything is sent): in memory up to ``held`` points, beyond that in a temporary file, a JSON
    array of points per line that msgspec reads back at several times the speed of parsing the
    input.  So a file of any size takes bounded memory, and a usual one skips the file's encoding
    and decoding (a third of the reading's time).  Iterating gives the points in order, in lists
    of ``batch_size``."""

    #: About 160 bytes each: at most ~40 MB of points held before the rest goes to a file.
    HELD = 1 << 18

    def __init__(self, batch_size: int, held: int = HELD) -> None:
        self.batch_size, self.held = batch_size, held
        self.total = 0
        self._batches: list[list[BufferedPoint]] = []
        self._pending: list[BufferedPoint] = []
        self._file: IO[bytes] | None = None

    def add(self, points: list[BufferedPoint]) -> None:
        self._pending += points
        size = self.batch_size
        while len(self._pending) >= size:
            self._keep(self._pending[:size])
            del self._pending[:size]

    def finish(self) -> int:
        """Keep what is still pending; returns how many points there are in all."""
        if self._pending:
            self._keep(self._pending)
            self._pending = []
        if self._file is not None:
            self._file.seek(0)
        return self.total

    def _keep(self, batch: list[BufferedPoint]) -> None:
        if self._file is None and self.total + len(batch) <= self.held:
            self._batches.append(batch)
        else:
            if self._file is None:
                self._file = tempfile.TemporaryFile("w+b")  # noqa: SIM115  # closed by close(), on the import's exit stack
            self._file.write(_SPOOL_ENCODE(batch) + b"\n")
        self.total += len(batch)

    def __iter__(self) -> Iterator[list[BufferedPoint]]:
        yield from self._batches  # the held points come first: the file holds only later ones
        if self._file is not None:
            for line in self._file:
                yield _SPOOL_DECODE(line)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


_SPOOL_ENCODE = msgspec.json.Encoder().encode
_SPOOL_DECODE = msgspec.json.Decoder(list[BufferedPoint]).decode


def add_transfer_commands(commands: Any) -> None:
    """Add ``export`` and ``import`` to the ``tempodb`` subcommands (``argparse`` subparsers)."""
    p = commands.add_parser(
        "export",
        help="stream a range of one or many series to CSV or JSON lines",
        description="Write every point of the matching series in [START, END) as CSV 'key,t,v' or JSON lines, "
        "read window by window so memory stays flat however long the range. Raw points unless --interval.",
    )
    add_selection_arguments(p, "export")
    add_range_arguments(p, interval_default="raw points")
    p.add_argument("--window", type=_window, default=timedelta(days=1),
                   help="read this span (1day, 6hour) or about this many points per series at a time (default: 1day)")
    p.add_argument("--format", choices=FORMATS, help="csv or jsonl (default: from the file name, else csv)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default: stdout)")
    p.add_argument("--progress", action="store_true", help="draw the progress bar on stderr even when it is not a terminal")
    add_target_arguments(p, DEFAULT_DB)
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser(
        "import",
        help="load CSV or JSON lines of many series through the batching writer",
        description="Read 'key,t,v' CSV (header required; an 'id' column may replace 'key') or JSON lines "
        "{\"key\",\"t\",\"v\"} and write them in batches. Writing the same points again overwrites, so a "
        "re-run after a failure is safe (not with --increment).",
    )
    p.add_argument("file", metavar="FILE", nargs="?", help="input file; '-' or none reads stdin")
    p.add_argument("--format", choices=FORMATS, help="csv or jsonl (default: from the file name, else csv)")
    p.add_argument("--increment", action="store_true", help="increment by the values instead of writing them")
    p.add_argument("--batch-size", type=int, default=5000, metavar="N", help="points per request (default: %(default)s)")
    p.add_argument("--progress", action="store_true", help="draw the progress bar on stderr even when it is not a terminal")
    add_layout_arguments(p, "series key of each --value-column, from {column} (its header) (default: {column})")
    add_target_arguments(p, DEFAULT_DB)
    p.set_defaults(handler=cmd_import)
