"""The batching writer with real producers: 40 tasks, each 250 writes and 250 increments, through one
writer to a ``tempodb serve`` of its own, on asyncio and on trio.  Reports requests sent, seconds and
points per second (the README's writer example mixes writes and increments like this).

``python -m benchmarks.writer_mix [--producers 40] [--each 250]``.  Run it on the code before and
after a change and compare: requests, seconds and points/s come from the same run.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone

import anyio

import tempodb.aio
from benchmarks._server import server
from tempodb._wire.http import Request, Response
from tempodb.transports import AsyncHTTPXTransport

T0 = datetime(2013, 1, 1, tzinfo=timezone.utc)


class Counting:
    """An httpx transport that counts the requests it carries."""

    def __init__(self) -> None:
        self.inner = AsyncHTTPXTransport()
        self.sent = 0

    async def send(self, request: Request) -> Response:
        self.sent += 1
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def run(host: str, port: int, producers: int, each: int) -> tuple[int, float, int]:
    transport = Counting()
    async with tempodb.aio.Client("bench", "secret", host, port, False, transport=transport) as client:
        began = time.perf_counter()
        async with client.writer(max_points=5000) as w:

            async def produce(n: int) -> None:
                for i in range(each):
                    ts = T0 + timedelta(seconds=i)
                    await w.write(ts, float(i), key=f"p{n}")
                    await w.increment(ts, 1, key="counter")

            async with anyio.create_task_group() as tg:
                for n in range(producers):
                    tg.start_soon(produce, n)
        elapsed = time.perf_counter() - began
    return transport.sent, elapsed, producers * each * 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--producers", type=int, default=40)
    parser.add_argument("--each", type=int, default=250)
    args = parser.parse_args()
    with server() as process:
        for backend in ("asyncio", "trio"):
            sent, seconds, total = anyio.run(run, process.info.host, process.info.port, args.producers, args.each,
                                             backend=backend)
            print(f"writer_mix[{backend}]: {args.producers} producers x ({args.each} writes + {args.each} increments): "
                  f"{sent} requests, {seconds:.2f} s, {total / seconds:,.0f} points/s")


if __name__ == "__main__":
    main()
