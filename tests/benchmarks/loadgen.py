"""A small HTTP load generator on loopback: closed-loop throughput and open-loop latency.

Runs in its own process beside the server (both share the 2 cores), bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import numpy as np


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    arr = np.asarray(latencies_s) * 1000
    return {"p50_ms": float(np.percentile(arr, 50)), "p99_ms": float(np.percentile(arr, 99))}


async def _closed(
    url: str, bodies: list[bytes], concurrency: int, seconds: float
) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(
        timeout=10, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.post(url, content=bodies[i % len(bodies)], headers=headers)
                lat.append(time.perf_counter() - t0)
                errors += r.status_code != 200
                i += concurrency

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"rps": len(lat) / elapsed, "errors": errors, **percentiles(lat)}


async def _open(url: str, bodies: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    """Send at a fixed rate regardless of answers (latency under a given load)."""
    lat: list[float] = []
    errors = 0
    n = int(rate * seconds)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(
        timeout=10, limits=httpx.Limits(max_connections=256, max_keepalive_connections=256)
    ) as client:

        async def one(i: int) -> None:
            nonlocal errors
            t0 = time.perf_counter()
            try:  # an overloaded server shows as errors and long latencies, not a crash
                r = await client.post(url, content=bodies[i % len(bodies)], headers=headers)
                errors += r.status_code != 200
            except httpx.HTTPError:
                errors += 1
            lat.append(time.perf_counter() - t0)

        start = time.perf_counter()
        tasks = []
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        achieved = n / (time.perf_counter() - start)
    return {"sent_rps": achieved, "errors": errors, **percentiles(lat)}


def closed_loop(url: str, payloads: list[Any], concurrency: int = 8, seconds: float = 5) -> dict:
    bodies = [json.dumps(p, ensure_ascii=False).encode() for p in payloads]
    return asyncio.run(_closed(url, bodies, concurrency, seconds))


def open_loop(url: str, payloads: list[Any], rate: float, seconds: float = 5) -> dict:
    bodies = [json.dumps(p, ensure_ascii=False).encode() for p in payloads]
    return asyncio.run(_open(url, bodies, rate, seconds))
