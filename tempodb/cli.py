"""The ``tempodb`` command (also ``python -m tempodb``): serve the API, run the demo, and write,
read and list series on an embedded database or a server."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import TextIO

import msgspec

from tempodb._cli.args import add_range_arguments, add_selection_arguments, range_from_args, selection_from_args
from tempodb._cli.csvio import add_layout_arguments, layout_from_args, parse_series, write_csv
from tempodb._cli.migrate import MigrationError, add_migrate_command
from tempodb._cli.progress import Mode, Progress, can_encode
from tempodb._cli.target import DEFAULT_DB, add_target_arguments, open_client, target_from_args
from tempodb._cli.transfer import add_transfer_commands
from tempodb._core.errors import BadRequestError, TempoDBError
from tempodb._core.models import DataPoint, DataSet, Series
from tempodb._version import __version__
from tempodb.chart import chart
from tempodb.server import serve

__all__ = ["main"]

PROG = "tempodb"
BATCH_SIZE = 1000


class CommandError(Exception):
    """A failure already worded for the user, with its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# --- commands ------------------------------------------------------------------------------------


def _demo_db() -> str:
    # A fresh directory per run: the demo leaves nothing in the cwd, and the printed path lets the
    # user explore the data afterwards with `tempodb read --db PATH`.
    return os.path.join(tempfile.mkdtemp(prefix="tempodb-demo-"), "demo.db")


def cmd_demo(args: argparse.Namespace) -> int:
    from tempodb._cli.demo import DEMO_KEY, console_hint, run_demo

    if args.days < 1:
        raise CommandError("--days must be at least 1", 2)
    target = target_from_args(args, default_db=_demo_db)
    out = sys.stdout
    print(f"tempodb demo on the {target.describe()}", file=out)
    # On a terminal the bar redraws; in a log or pipe only its finished line is written.
    mode: Mode = "live" if out.isatty() else "final"
    width = min(max(shutil.get_terminal_size((80, 24)).columns - 12, 40), 100)
    with open_client(target) as client:
        run_demo(client, out, days=args.days, progress=mode, width=width)
    if target.db is not None and target.db != ":memory:":
        print(f"\nExplore it: {PROG} read {DEMO_KEY} --db {target.db} --start 2012-01-01 --end 2012-01-02", file=out)
    print("", *console_hint(target, args.days, prog=PROG), sep="\n", file=out)
    return 0


def _read_input(args: argparse.Namespace) -> dict[str, list[DataPoint]]:
    """Every series' points of the input file, all checked before anything is written."""
    layout = layout_from_args(args)
    if args.file is None or args.file == "-":
        if sys.stdin.isatty():  # otherwise a bare `tempodb write KEY` looks hung
            print(f"{PROG}: reading t,v lines from stdin; end with Ctrl-D", file=sys.stderr)
        return parse_series(sys.stdin, layout, "stdin", args.series_key)
    with open(args.file, encoding="utf-8", newline="") as file:
        return parse_series(file, layout, args.file, args.series_key)


def cmd_write(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1", 2)
    # Everything is parsed before the first write, so a bad line leaves the series untouched.
    series = _read_input(args)
    total = sum(len(points) for points in series.values())
    if not total:
        print(f"{PROG}: nothing to write", file=sys.stderr)
        return 0
    target = target_from_args(args)
    mode: Mode = "live" if args.progress else "auto"
    written = 0
    with open_client(target) as client, Progress(total, sys.stderr, label="writing", unit="points", mode=mode) as bar:
        try:
            for key, points in series.items():
                for offset in range(0, len(points), args.batch_size):
                    batch = points[offset:offset + args.batch_size]
                    client.write_key(key, batch)
                    written += len(batch)
                    bar.advance(len(batch))
        except TempoDBError as exc:
            if written == 0:
                raise
            raise CommandError(
                f"{exc} ({written} of {total} points were written first; writing the file again is safe)"
            ) from exc
    names = ", ".join(repr(key) for key in series)
    print(f"wrote {written} points to {names} on the {target.describe()}", file=sys.stderr)
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    start, end = range_from_args(args)
    selection = selection_from_args(args)
    if not any(selection.values()):
        if args.series_key is None:
            raise CommandError("name the series to read: SERIES_KEY, or a selection (-k KEY, --id, --tag, --attr)", 2)
        selection = {}
    elif args.series_key is not None:
        selection["keys"] = [args.series_key, *(selection["keys"] or [])]
    with open_client(target_from_args(args), create=False) as client:
        if selection:
            found: DataSet | list[DataSet] = client.read(start, end, args.interval, args.function, **selection, tz=args.tz)
        else:
            found = client.read_key(args.series_key, start, end, args.interval, args.function, args.tz)
    if args.chart:
        width = min(max(shutil.get_terminal_size((80, 24)).columns - 14, 20), 120)
        for line in chart(found, width, args.height, tz=args.tz, unicode=can_encode(sys.stdout, "⣿┤└─")):
            print(line)
    elif args.format == "json":
        sys.stdout.write(msgspec.json.encode(found).decode() + "\n")
    else:
        write_csv(found, sys.stdout)
    return 0


def _series_table(series: Sequence[Series], out: TextIO) -> None:
    header = ("KEY", "ID", "NAME", "TAGS", "ATTRIBUTES")
    rows = [
        (s.key, s.id, s.name, ",".join(s.tags), ",".join(f"{k}={v}" for k, v in sorted(s.attributes.items())))
        for s in series
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)


def cmd_series(args: argparse.Namespace) -> int:
    with open_client(target_from_args(args), create=False) as client:
        found = client.get_series(**selection_from_args(args))
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(found).decode() + "\n")
    else:
        _series_table(found, sys.stdout)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return serve.run(args)


# --- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="TempoDB v1: serve the API, run the demo, write, read and list series.",
        epilog="Data commands use an embedded database file unless --url or $TEMPODB_URL names a server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("serve", help="serve the TempoDB v1 API over HTTP", description="Serve the TempoDB v1 API.")
    serve.add_arguments(p)
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser(
        "demo",
        help="write demo data, read it back raw and rolled up, and chart it",
        description="Write 9 days of minute data into series 'demo-series' (the same values on every run), then "
        "read one day raw, the whole range as hourly means (charted) and as daily maxima. "
        "Without --db or a server, a new temporary database is used and its path printed.",
    )
    add_target_arguments(p, default_db="a new file in a temporary directory")
    p.add_argument("--days", type=int, default=9, help="days of minute data to write (default: %(default)s)")
    p.set_defaults(handler=cmd_demo)

    p = commands.add_parser(
        "write",
        help="write t,v CSV points into a series",
        description="Write CSV lines 't,v' (a time, a number; header line optional) into a series, "
        "creating it if new; with --value-column, several columns of a wider file into a series each. "
        "Empty value cells are missing values and skipped. The whole input is checked first: a bad line is "
        "reported with its line number and nothing is written. Writing the same timestamp again overwrites, "
        "so re-running is safe.",
    )
    p.add_argument("series_key", metavar="SERIES_KEY")
    p.add_argument("file", metavar="FILE", nargs="?", help="CSV file; '-' or none reads stdin")
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE, metavar="N", help="points per write (default: %(default)s)")
    p.add_argument("--progress", action="store_true", help="draw the progress bar on stderr even when it is not a terminal")
    add_layout_arguments(p, "series key of each value column, from {key} (SERIES_KEY) and {column} (its header) "
                         "(default: SERIES_KEY for one column, else {key}.{column})")  # fmt: skip
    add_target_arguments(p, DEFAULT_DB)
    p.set_defaults(handler=cmd_write)

    p = commands.add_parser(
        "read",
        help="read series' points as CSV or JSON, or chart them",
        description="Read the points of a series (or of every series a selection matches) in [START, END), raw "
        "or rolled up, as CSV, JSON or a terminal chart. Timestamps are ISO-8601; without an offset they are UTC, "
        "or in --tz.",
    )
    p.add_argument("series_key", metavar="SERIES_KEY", nargs="?", help="the series to read (or use a selection)")
    add_selection_arguments(p, "read")
    add_range_arguments(p, interval_default="chosen by the server from the range")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="(default: %(default)s)")
    p.add_argument("--chart", action="store_true", help="draw a terminal chart per series instead (see tempodb.chart)")
    p.add_argument("--height", type=int, default=10, metavar="ROWS", help="rows of each chart (default: %(default)s)")
    add_target_arguments(p, DEFAULT_DB)
    p.set_defaults(handler=cmd_read)

    p = commands.add_parser(
        "series",
        help="list series, filtered by key, id, tag and attribute",
        description="List series. Filters of different kinds are and'ed; all of --tag and --attr must match.",
    )
    add_selection_arguments(p, "only")
    p.add_argument("--format", choices=("table", "json"), default="table", help="(default: %(default)s)")
    add_target_arguments(p, DEFAULT_DB)
    p.set_defaults(handler=cmd_series)

    add_transfer_commands(commands)
    add_migrate_command(commands)
    return parser


# --- entry point ---------------------------------------------------------------------------------


def _fail(message: str, status: int) -> int:
    # One line, whatever the error: multi-line messages (a 207's point list) are joined.
    text = "; ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 failure, 2 bad input or usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: argparse has printed already
        return exc.code if isinstance(exc.code, int) else 2
    try:
        status: int = args.handler(args)
        return status
    except (CommandError, MigrationError) as exc:
        return _fail(str(exc), getattr(exc, "status", 1))
    except (ValueError, BadRequestError) as exc:  # InvalidInputError is a ValueError
        return _fail(str(exc), 2)
    except (TempoDBError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            # The reader went away (`| head`): stop quietly, and keep Python from failing at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        return _fail(str(exc) or type(exc).__name__, 1)
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
