"""A lean HTTP/1.1 load generator on loopback: closed-loop throughput and open-loop latency.

Raw keep-alive connections on uvloop (an asyncio ``Protocol`` per connection, no HTTP client
library): a general-purpose client costs more CPU per request than the server under test, which
on a small machine measures the client. Runs in the bench process beside the server; bounded in
count and time. Understands exactly what our servers send: a status line, headers with
``content-length``, a body.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import uvloop


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    arr = np.asarray(latencies_s or [np.nan]) * 1000
    return {"p50_ms": float(np.percentile(arr, 50)), "p99_ms": float(np.percentile(arr, 99))}


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[: head_end + 2]).lower()  # each header line ends with CRLF
        start = head.find(b"content-length:")
        length = int(head[start + 15 : head.find(b"\r\n", start)]) if start >= 0 else 0
        if len(self.buffer) >= head_end + 4 + length:
            status = int(head[9:12])
            del self.buffer[: head_end + 4 + length]
            self.waiter.set_result(status)

    def send(self, request: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter


def _requests(url: str, payloads: list[Any]) -> list[bytes]:
    parts = urlsplit(url)
    out = []
    for payload in payloads:
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = (
            f"POST {parts.path} HTTP/1.1\r\nhost: {parts.netloc}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


async def _connect(url: str) -> _Connection:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_Connection, parts.hostname, parts.port)
    return conn


async def _closed(url: str, requests: list[bytes], concurrency: int, seconds: float) -> dict:
    lat: list[float] = []
    errors = 0
    conns = [await _connect(url) for _ in range(concurrency)]
    stop = time.perf_counter() + seconds

    async def worker(k: int, conn: _Connection) -> None:
        nonlocal errors
        i = k
        while time.perf_counter() < stop and not conn.closed:
            t0 = time.perf_counter()
            status = await conn.send(requests[i % len(requests)])
            lat.append(time.perf_counter() - t0)
            errors += status != 200
            i += concurrency

    start = time.perf_counter()
    await asyncio.gather(*(worker(k, c) for k, c in enumerate(conns)))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.transport.close()  # type: ignore[union-attr]
    return {"rps": len(lat) / elapsed, "errors": errors, **percentiles(lat)}


async def _open(
    url: str, requests: list[bytes], rate: float, seconds: float, max_conns: int
) -> dict[str, Any]:
    """Send on a fixed schedule whatever the answers; latency counts from the scheduled time,
    so a server that falls behind shows its queueing (no coordinated omission)."""
    lat: list[float] = []
    errors = 0
    idle: deque[_Connection] = deque()
    opened: list[_Connection] = []
    pending: set[asyncio.Task[None]] = set()
    n = int(rate * seconds)

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = idle.popleft() if idle else None
        if conn is None:
            if len(opened) >= max_conns:
                errors += 1  # the server holds every connection: count as refused
                return
            conn = await _connect(url)
            opened.append(conn)
        try:
            status = await conn.send(requests[i % len(requests)])
            errors += status != 200
            idle.append(conn)
        except ConnectionError:
            errors += 1
        lat.append(time.perf_counter() - due)

    start = time.perf_counter()
    sent = 0
    while sent < n:
        now = time.perf_counter()
        due_count = min(n, int((now - start) * rate) + 1)
        while sent < due_count:
            task = asyncio.create_task(one(sent, start + sent / rate))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
    offered = n / (time.perf_counter() - start)
    await asyncio.gather(*pending)
    for conn in opened:
        conn.transport.close()  # type: ignore[union-attr]
    return {"sent_rps": offered, "errors": errors, **percentiles(lat)}


def closed_loop(url: str, payloads: list[Any], concurrency: int = 8, seconds: float = 5) -> dict:
    return uvloop.run(_closed(url, _requests(url, payloads), concurrency, seconds))


def open_loop(
    url: str, payloads: list[Any], rate: float, seconds: float = 5, max_conns: int = 512
) -> dict:
    return uvloop.run(_open(url, _requests(url, payloads), rate, seconds, max_conns))
