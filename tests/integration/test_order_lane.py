"""The order lane (serving/order_lane.py) over a real scorer: it answers a valid, authorised
order itself, as the scorer would, and hands everything else to the app with the bytes it read."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ordersight.schema import Order
from serving.app import build_services
from serving.order_lane import OrderLane
from tests.conftest import service_settings

KEY = "lane-key"
PATH = "/v1/orders/score"


class Inner:
    """The app behind the lane: answers 418 with the body it was given."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _call(
    app: Any, chunks: list[bytes], headers: dict[str, str], method: str = "POST", path: str = PATH
) -> tuple[int, bytes]:
    """One request straight through ASGI, the body in ``chunks`` as a server may deliver it."""
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture(scope="module")
def world_orders(small_world: Path) -> list[dict]:
    with (small_world / "orders.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(30)]


def _services(small_world: Path, home: Path):
    return build_services(service_settings(small_world, home, f"ana={KEY}"))


def test_the_lane_scores_a_valid_order_itself_as_the_scorer_does(
    small_world: Path, tmp_path: Path, world_orders: list[dict]
) -> None:
    inner = Inner()
    lane = OrderLane(inner, SimpleNamespace(services=_services(small_world, tmp_path / "a")))
    answers = []
    for order in world_orders:
        body = json.dumps(order, ensure_ascii=False).encode()
        halves = [body[: len(body) // 2], body[len(body) // 2 :]]  # a body in two reads
        status, reply = _call(lane, halves, {"X-API-Key": KEY})
        assert status == 200, reply
        answers.append(json.loads(reply))
    assert inner.bodies == []  # the app behind it saw none of them

    scorer = _services(small_world, tmp_path / "b").scorer
    alone = scorer.score([Order.model_validate(o) for o in world_orders])
    expected = [r.model_dump(mode="json", exclude_none=True) for r in alone]
    for answer, want in zip(answers, expected, strict=True):
        assert answer.pop("latency_ms") >= 0
        want.pop("latency_ms", None)
        assert answer == want
    assert any(a["action"] != "pass" for a in answers)  # the sample holds real issues


@pytest.mark.parametrize(
    ("why", "headers", "body", "method", "path"),
    [
        ("no key", {}, None, "POST", PATH),
        ("a wrong key", {"X-API-Key": "nope"}, None, "POST", PATH),
        ("an invalid order", {"X-API-Key": KEY}, b'{"order_id": "x", "lines": []}', "POST", PATH),
        ("not JSON", {"X-API-Key": KEY}, b"\xff{", "POST", PATH),
        ("another path", {"X-API-Key": KEY}, None, "POST", "/v1/orders/score-batch"),
        ("another method", {"X-API-Key": KEY}, b"", "GET", PATH),
    ],
)
def test_anything_else_reaches_the_app_with_the_bytes_sent(
    small_world: Path,
    tmp_path: Path,
    world_orders: list[dict],
    why: str,
    headers: dict,
    body: bytes | None,
    method: str,
    path: str,
) -> None:
    inner = Inner()
    lane = OrderLane(inner, SimpleNamespace(services=_services(small_world, tmp_path)))
    sent = json.dumps(world_orders[0]).encode() if body is None else body
    status, reply = _call(lane, [sent[:7], sent[7:]], headers, method, path)
    assert (status, reply) == (418, sent), why
    assert inner.bodies == [sent]


def test_a_bearer_token_is_a_key_too(
    small_world: Path, tmp_path: Path, world_orders: list[dict]
) -> None:
    inner = Inner()
    lane = OrderLane(inner, SimpleNamespace(services=_services(small_world, tmp_path)))
    body = json.dumps(world_orders[0]).encode()
    status, reply = _call(lane, [body], {"Authorization": f"Bearer {KEY}"})
    assert status == 200 and json.loads(reply)["order_id"] == world_orders[0]["order_id"]
    assert inner.bodies == []
