"""``tempodb serve --workers N``: N server processes accepting on one listening socket.

The parent binds the port, checks that the database opens (so a bad ``--db`` fails once, with its
message), announces the URL, and starts each worker as ``python -m tempodb.server.workers`` with
the socket passed as an inherited descriptor and the options on its stdin (never on a command line
or in the environment: they may hold secrets).  The kernel spreads connections over the workers.
A worker that dies is started again; SIGINT/SIGTERM stop them all.

Every worker has its own store: PostgreSQL, or a SQLite file (WAL, shared between processes);
``:memory:`` would give each worker a private empty database, so it is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from types import FrameType

__all__ = ["check_workers", "supervise"]

#: A worker restarted more often than this within RESTART_WINDOW seconds means it cannot run: give up.
MAX_RESTARTS = 5
RESTART_WINDOW = 30.0


def check_workers(args: argparse.Namespace) -> str | None:
    """Why ``--workers`` cannot be used with these options, or None."""
    if args.workers < 1:
        return "--workers must be >= 1"
    if args.workers > 1 and args.db in ("", ":memory:"):
        return "--workers > 1 needs a database the workers share: a SQLite file or a postgresql:// URL, not :memory:"
    return None


def _spawn(args: argparse.Namespace, fd: int) -> tuple[subprocess.Popen[bytes], int]:
    """A worker on the listening socket ``fd``, and the pipe it writes one byte to once it serves."""
    ready_read, ready_write = os.pipe()
    options = {**vars(args), "workers": 1, "listen_fd": fd, "ready_fd": ready_write}
    options.pop("handler", None)  # the CLI's command function: not data
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "tempodb.server.workers"], stdin=subprocess.PIPE, pass_fds=(fd, ready_write)
        )
    finally:
        os.close(ready_write)
    assert process.stdin is not None
    process.stdin.write(json.dumps(options).encode())
    process.stdin.close()
    return process, ready_read


def _wait_ready(ready: int) -> bool:
    """Block until the worker serves (True) or exits first (False: the pipe closes with nothing in it)."""
    try:
        return os.read(ready, 1) == b"1"
    finally:
        os.close(ready)


def supervise(args: argparse.Namespace, fd: int, announce: str) -> int:
    """Run ``args.workers`` workers on the listening socket ``fd`` until SIGINT/SIGTERM; the exit code."""
    stopping = False
    code = 0

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = [_spawn(args, fd) for _ in range(args.workers)]
    workers = [worker for worker, _ in started]
    # Announced once every worker serves, so a script that waits for the line meets no cold start.
    if not all([_wait_ready(ready) for _, ready in started]):
        print("tempodb serve: error: a worker could not start (see its messages above)", file=sys.stderr, flush=True)
        stopping, code = True, 1
    else:
        print(f"tempodb serving on {announce}", flush=True)
    restarts: list[float] = []
    try:
        while not stopping:
            time.sleep(0.2)
            for index, worker in enumerate(workers):
                if worker.poll() is None or stopping:
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
                if len(restarts) > MAX_RESTARTS:
                    print(
                        f"tempodb serve: error: workers keep exiting (last code {worker.returncode}); stopping",
                        file=sys.stderr,
                        flush=True,
                    )
                    stopping, code = True, 1
                    break
                print(f"tempodb serve: worker {worker.pid} exited ({worker.returncode}); starting another", file=sys.stderr, flush=True)
                workers[index], ready = _spawn(args, fd)
                os.close(ready)  # a replacement joins when it is ready; nothing waits for it
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _worker_main() -> int:
    from tempodb.server.serve import run

    options = json.loads(sys.stdin.buffer.read())
    sys.stdin.close()
    return run(argparse.Namespace(**options))


if __name__ == "__main__":
    raise SystemExit(_worker_main())
