"""How much answer and CPU a small multi-write body can cost the server (issue 11, finding 2).

Sends gzip bodies of ``[1,1,1,...]`` and of items each carrying every problem a multi item can have,
through the engine in-process, and prints the answer size and time per request byte.  Bounded: the
largest body is ``--max-body-bytes`` (4 MiB by default) decompressed.

    python -m benchmarks.amplification [--max-body-bytes N]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import random
import time

from tempodb._wire.http import Request
from tempodb.server.factory import open_engine

AUTH = {"Authorization": "Basic " + base64.b64encode(b"bench:bench").decode(), "Content-Encoding": "gzip"}


def bodies(limit: int) -> dict[str, bytes]:
    ones = b"[" + b",".join([b"1"] * ((limit - 2) // 2)) + b"]"
    bad = b'{"t":"nonsense","v":"x"}'
    worst = b"[" + b",".join([bad] * ((limit - 2) // (len(bad) + 1))) + b"]"
    few = b"[" + b",".join([b"1"] * 1000) + b"]"
    listed = b"[" + b",".join([bad] * 1000) + b"]"
    good = b'{"key":"k","v":1}'
    mixed = b"[" + b",".join([bad] * 1000 + [good] * 99_000) + b"]"
    over = b"[" + b",".join([bad] * 1001) + b"]"
    small = b'{"id":"a","v":1}'
    floor = b"[" + b",".join([bad] + [small] * ((1 << 20) // (len(small) + 1) - 2)) + b"]"
    rng = random.Random(11)
    varied = [b'{"key":"k","v":%d}' % rng.randrange(10**6) for _ in range(99_000)]
    mixed_varied = b"[" + b",".join([bad] * 1000 + varied) + b"]"
    return {
        "ones (max body)": ones,
        "bad items (max body)": worst,
        "1000 ones": few,
        "1000 bad items": listed,
        "1000 bad + 99000 good": mixed,
        "1001 bad items": over,
        "1 bad + good (1 MiB)": floor,
        "1000 bad + 99000 varied": mixed_varied,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024)
    args = parser.parse_args()
    engine = open_engine(":memory:", max_body_bytes=args.max_body_bytes)
    try:
        for name, raw in bodies(args.max_body_bytes).items():
            sent = gzip.compress(raw, 9)
            started = time.process_time()
            response = engine.handle(Request("POST", "http://bench/v1/multi/", AUTH, sent))
            cpu = time.process_time() - started
            print(
                f"{name:24} {len(raw):>9} B plain, {len(sent):>7} B sent -> {response.status_code}, "
                f"{len(response.body):>10} B answer ({len(response.body) / len(sent):8.1f}x sent), "
                f"{cpu * 1000:7.1f} ms CPU ({cpu * 1e6 / len(sent):7.2f} us per sent byte)"
            )
    finally:
        engine.close()


if __name__ == "__main__":
    main()
