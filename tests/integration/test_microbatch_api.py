"""Micro-batching through the real app and the trained champions: orders that arrive together
are scored together, and each gets exactly the answer it would get alone."""

from __future__ import annotations

import asyncio
import json

import httpx

from serving.app import build_services, create_app

N = 40


def _payloads(settings, n: int) -> list[dict]:
    with (settings.reference_dir / "orders.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


async def _post_all(app, payloads: list[dict], concurrent: bool) -> list[dict]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def post(p: dict) -> dict:
            r = await client.post("/v1/orders/score", json=p)
            assert r.status_code == 200, r.text
            return r.json()

        if concurrent:
            return list(await asyncio.gather(*(post(p) for p in payloads)))
        return [await post(p) for p in payloads]


def _without_latency(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "latency_ms"} for r in results]


def test_concurrent_orders_share_batches_and_answers_match_scoring_alone(
    trained_settings, tmp_path
) -> None:
    settings = trained_settings.model_copy(update={"home": tmp_path})  # own decision store
    payloads = _payloads(trained_settings, N)

    alone_services = build_services(settings)
    alone = asyncio.run(_post_all(create_app(settings, alone_services), payloads, False))
    together_services = build_services(settings.model_copy(update={"home": tmp_path / "b"}))
    together = asyncio.run(_post_all(create_app(settings, together_services), payloads, True))

    assert alone_services.batcher.batches == N  # one at a time: no batching
    assert together_services.batcher.batches < N  # arrived together: batched
    assert together_services.batcher.orders == N
    assert _without_latency(together) == _without_latency(alone)
    assert {r["scored_by"]["price"] for r in together} == {"model"}
    assert any(r["action"] != "pass" for r in together)  # the sample holds real issues
