"""``python -m benchmarks``: run every section, print the table, write ``benchmarks/results.json``.

Options: ``--quick`` (10k points, few iterations: a ~30 s smoke run), ``--sizes 10000,100000``,
``--only encode,overhead``, ``--json PATH`` and ``--year`` (the peer section also over a year at 1 Hz).  See the package docstring for the sections.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks import codec, concurrency, end_to_end, overhead, peer, postgres, writer_speed
from benchmarks._common import Row, machine

SECTIONS = ("encode", "decode", "overhead", "end_to_end", "scaling", "concurrency", "writer", "peer", "postgres")
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.quick:
        settings = {"sizes": [10_000], "codec_n": 10_000, "codec_repeat": 3, "rounds": 4, "block": 10,
                    "writers": [1, 4], "concurrency_total": 8_000, "peer_n": 10_000, "pg_points": 5_000,
                    "pg_server_total": 4_000, "writer_points": 20_000, "writer_repeat": 1}
    else:
        settings = {"sizes": [10_000, 100_000, 1_000_000], "codec_n": 100_000, "codec_repeat": 7, "rounds": 40,
                    "block": 50, "writers": [1, 4, 16, 64], "concurrency_total": 128_000, "peer_n": 1_000_000,
                    "pg_points": 200_000, "pg_server_total": 128_000, "writer_points": 210_000, "writer_repeat": 3}
    if args.sizes:
        settings["sizes"] = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    return settings


def _format(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def print_table(rows: list[Row]) -> None:
    header = ("section", "measure", "value", "unit", "ratio", "ratio against", "goal", "met")
    lines = [
        (
            r.section, r.name, _format(r.value), r.unit,
            "" if r.ratio is None else f"{r.ratio:.2f}", r.baseline, r.goal,
            "" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    aligns = ["<", "<", ">", "<", ">", "<", "<", "<"]

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, aligns, widths, strict=True)).rstrip()

    print(render(header))
    print("  ".join("-" * w for w in widths))
    section = None
    for row, line in zip(rows, lines, strict=True):
        if section is not None and row.section != section:
            print()
        section = row.section
        print(render(line))
    notes = [f"- {r.section} / {r.name}: {r.note}" for r in rows if r.note]
    if notes:
        print("\nnotes:")
        print("\n".join(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k points, few iterations")
    parser.add_argument("--sizes", help="comma-separated point counts for end_to_end/scaling (largest = end_to_end)")
    parser.add_argument("--only", help=f"comma-separated sections among {', '.join(SECTIONS)}")
    parser.add_argument("--year", action="store_true", help="peer section: also a year at 1 Hz (31.5M points; minutes)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results (default: %(default)s)")
    args = parser.parse_args(argv)
    only = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    settings = _settings(args)
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['implementation']} {info['python']}, "
          f"SQLite {info['sqlite']}, {info['platform']}, load average {info['load_average_1m']}")
    print(f"settings: {settings}\n", flush=True)

    started = time.perf_counter()
    sections: dict[str, list[Row]] = {}
    timings: dict[str, float] = {}

    def timed(name: str, rows_fn: Any) -> None:
        begin = time.perf_counter()
        sections[name] = rows_fn()
        timings[name] = round(time.perf_counter() - begin, 1)
        print(f"  {name}: {timings[name]} s", flush=True)

    if "encode" in only:
        timed("encode", lambda: codec.run_encode(settings["codec_n"], settings["codec_repeat"]))
    if "decode" in only:
        timed("decode", lambda: codec.run_decode(settings["codec_n"], settings["codec_repeat"]))
    if "overhead" in only:
        timed("overhead", lambda: overhead.run(settings["rounds"], settings["block"]))
    if "end_to_end" in only or "scaling" in only:
        # One measurement per size feeds both sections: the largest size is the end-to-end one.
        sizes = settings["sizes"] if "scaling" in only else settings["sizes"][-1:]
        begin = time.perf_counter()
        by_size = {n: end_to_end.measure(n) for n in sizes}
        if "end_to_end" in only:
            largest = max(by_size)
            sections["end_to_end"] = end_to_end.end_to_end_rows(largest, by_size[largest])
        if "scaling" in only:
            sections["scaling"] = end_to_end.scaling_rows(by_size)
        timings["end_to_end+scaling"] = round(time.perf_counter() - begin, 1)
        print(f"  end_to_end+scaling: {timings['end_to_end+scaling']} s", flush=True)
    if "concurrency" in only:
        timed("concurrency", lambda: concurrency.run(settings["writers"], settings["concurrency_total"]))
    if "writer" in only:
        timed("writer", lambda: writer_speed.run(settings["writer_points"], 10, settings["writer_repeat"]))
    if "peer" in only:
        timed("peer", lambda: peer.run(settings["peer_n"], year=args.year))
    if "postgres" in only:
        timed("postgres", lambda: postgres.run(settings["pg_points"], settings["pg_server_total"]))

    rows = [row for name in SECTIONS for row in sections.get(name, [])]
    print()
    print_table(rows)
    peer.print_peer_table(sections.get("peer", []))
    goals = [{"section": r.section, "measure": r.name, "ratio": r.ratio, "goal": r.goal, "met": r.met} for r in rows if r.goal]
    elapsed = round(time.perf_counter() - started, 1)
    print(f"\ngoals met: {sum(1 for g in goals if g['met'])}/{len(goals)}; total {elapsed} s")
    result = {
        "machine": info,
        "settings": settings,
        "elapsed_s": elapsed,
        "section_seconds": timings,
        "sections": {name: [r.as_dict() for r in sections[name]] for name in SECTIONS if name in sections},
        "goals": goals,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
