#!/usr/bin/env python3
"""Background clients for the connection workloads of bench/run.sh (W8, W9).

  clients.py idle N PORT       opens N keep-alive connections, makes one GET /api/v1/live on
                               each, then keeps them open and silent until SIGTERM; prints
                               "IDLE open=<connections answered>" once all have been tried.
  clients.py slow-heads N PORT sends a request head one byte a second on each of N connections
                               until SIGTERM, while probing with a fresh connection every 20 ms
                               (GET /api/v1/live); prints the probes' latency percentiles and
                               how many were refused or unanswered within 2 s.

Everything goes to 127.0.0.1. asyncio holds thousands of sockets in one thread, so the
clients cost the benchmark little CPU.
"""
import asyncio
import signal
import sys
import time

HEAD = b"GET /api/v1/live HTTP/1.1\r\nHost: bench\r\n\r\n"


async def read_answer(reader):
    """Reads one response with a Content-Length body; returns its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def idle(n, port, stop):
    held = []

    async def one():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            writer.write(HEAD)
            if await asyncio.wait_for(read_answer(reader), 10) == 200:
                held.append(writer)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            pass

    # In waves, so the listen backlog is not what is being measured.
    for start in range(0, n, 500):
        await asyncio.gather(*(one() for _ in range(min(500, n - start))))
    print(f"IDLE open={len(held)}", flush=True)
    await stop.wait()
    for w in held:
        w.close()


async def slow_heads(n, port, stop):
    async def trickle():
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for b in HEAD * 1000:  # far longer than any header deadline
                if stop.is_set():
                    break
                writer.write(bytes([b]))
                await writer.drain()
                await asyncio.sleep(1)
            writer.close()
        except OSError:
            pass  # the server closed it: the slow client was cut off, as it should be

    latencies, failed = [], 0

    async def probe():
        nonlocal failed
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
            writer.write(HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            status = await asyncio.wait_for(read_answer(reader), 2)
            writer.close()
            if status == 200:
                latencies.append(time.monotonic() - started)
                return
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            pass
        failed += 1

    slow = [asyncio.ensure_future(trickle()) for _ in range(n)]
    probes = []
    while not stop.is_set():
        probes.append(asyncio.ensure_future(probe()))
        try:
            await asyncio.wait_for(stop.wait(), 0.02)
        except asyncio.TimeoutError:
            pass
    await asyncio.gather(*probes)
    for t in slow:
        t.cancel()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3 if latencies else 0
    print(f"PROBES n={len(latencies) + failed} p50={pick(0.5):.2f} p99={pick(0.99):.2f} "
          f"failed={failed}", flush=True)


def main():
    mode, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    run = {"idle": idle, "slow-heads": slow_heads}[mode]
    loop.run_until_complete(run(n, port, stop))


if __name__ == "__main__":
    main()
