"""Argument groups more than one command takes: a series selection, and a time range with a rollup."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from tempodb._wire.timestamps import UTC, get_zone, parse_timestamp

__all__ = ["add_range_arguments", "add_selection_arguments", "range_from_args", "selection_from_args"]


def _attribute(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    return name, value


def add_selection_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """``-k/--series-key``, ``--id``, ``--tag``, ``--attr``, each repeatable; ``verb`` fills the help."""
    # --key already means the API key, so the series key filter is --series-key (alias -k).
    parser.add_argument("-k", "--series-key", dest="key_filter", action="append", default=[], metavar="KEY",
                        help=f"{verb} the series with this key (repeatable)")
    parser.add_argument("--id", action="append", default=[], help=f"{verb} the series with this id (repeatable)")
    parser.add_argument("--tag", action="append", default=[], help=f"{verb} series with this tag (repeatable)")
    parser.add_argument("--attr", action="append", default=[], type=_attribute, metavar="NAME=VALUE",
                        help=f"{verb} series with this attribute value (repeatable)")


def selection_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The selection as keyword arguments of the client's filtered calls (empty kinds left out)."""
    return {"ids": args.id or None, "keys": args.key_filter or None, "tags": args.tag or None,
            "attributes": dict(args.attr) or None}  # fmt: skip


def add_range_arguments(parser: argparse.ArgumentParser, interval_default: str) -> None:
    """``--start``/``--end`` (required), ``--interval``, ``--function`` and ``--tz``."""
    parser.add_argument("--start", required=True, help="first instant, e.g. 2012-01-01 or 2012-01-01T06:00:00Z")
    parser.add_argument("--end", required=True, help="end of the range (exclusive)")
    parser.add_argument("--interval", help=f"rollup interval, e.g. 1hour, 5min, 1day, PT1H (default: {interval_default})")
    parser.add_argument("--function", help="rollup function: mean (or avg), sum, min, max, count, stddev, ss "
                        "(default with --interval: mean)")  # fmt: skip
    parser.add_argument("--tz", help="IANA time zone for naive --start/--end, rollup buckets and the output")


def range_from_args(args: argparse.Namespace) -> tuple[datetime, datetime]:
    """``--start``/``--end`` as aware datetimes; without an offset they are read in ``--tz`` (else UTC)."""
    zone = get_zone(args.tz) if args.tz else UTC
    return parse_timestamp(args.start, zone), parse_timestamp(args.end, zone)
