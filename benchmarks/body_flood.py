"""Peak server memory under a flood of unfinished request bodies (issue 11, finding 1).

Starts ``tempodb serve`` with credentials, opens ``--connections`` connections that each declare a
``--mb`` MB body (Content-Length) and send all of it but the last byte, without credentials (or with
them: ``--auth``), then prints the server's peak resident memory (VmHWM).  Bounded: every socket has a
timeout and the whole run a deadline.

    python -m benchmarks.body_flood [--connections 30] [--mb 60] [--auth] [-- extra serve args]
"""

from __future__ import annotations

import argparse
import base64
import socket
import tempfile
import threading
import time
from collections import Counter

from tempodb.testing import run_server

KEY, SECRET = "flood", "flood-secret"
_CHUNK = b"1" * (1 << 20)


def _peak_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _flood(host: str, port: int, size: int, auth: bool, outcome: Counter[str], deadline: float) -> None:
    headers = f"POST /v1/multi/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n"
    if auth:
        headers += "Authorization: Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode() + "\r\n"
    try:
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(headers.encode() + b"\r\n")
            left = size - 1
            while left > 0 and time.monotonic() < deadline:
                piece = _CHUNK[: min(left, len(_CHUNK))]
                sock.sendall(piece)
                left -= len(piece)
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            answer = sock.recv(100)
            outcome[answer.split(b" ", 2)[1].decode() if answer else "closed"] += 1
    except OSError as exc:
        outcome[type(exc).__name__] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=30)
    parser.add_argument("--mb", type=int, default=60)
    parser.add_argument("--auth", action="store_true", help="send valid credentials (tests the body budget)")
    parser.add_argument("--seconds", type=float, default=60.0, help="deadline of the flood")
    parser.add_argument("serve_args", nargs="*", help="extra tempodb serve arguments (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, run_server(
        directory, credentials={KEY: SECRET}, extra_args=args.serve_args
    ) as server:
        pid = server.process.pid
        before = _peak_kb(pid)
        outcome: Counter[str] = Counter()
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=_flood,
                args=(server.info.host, server.info.port, args.mb << 20, args.auth, outcome, deadline),
                daemon=True,
            )
            for _ in range(args.connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.1, deadline + 15 - time.monotonic()))
        took = time.monotonic() - started
        peak = _peak_kb(pid)
    print(
        f"{args.connections} x {args.mb} MB bodies ({'with' if args.auth else 'without'} credentials): "
        f"server peak RSS {peak / 1024:.0f} MB (idle {before / 1024:.0f} MB), {took:.1f} s, answers {dict(outcome)}"
    )


if __name__ == "__main__":
    main()
