"""Start ``tempodb serve`` on 127.0.0.1 for a benchmark, and read its peak memory before it stops."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tempodb.testing import ServerProcess, run_server


@contextmanager
def server() -> Iterator[ServerProcess]:
    """An open-mode server on a fresh SQLite file in a temporary directory (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-") as directory, run_server(directory) as process:
        yield process


def peak_rss_bytes(pid: int) -> int | None:
    """VmHWM (peak resident set) of a live process, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a live process has used, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            fields = file.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime: fields 14 and 15
