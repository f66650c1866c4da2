"""The Redis queue worker against the real local Redis."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from ordersight.settings import REPO_ROOT, Settings
from serving.offline import build_scorer
from serving.worker import drain_once, errors_key, results_key
from tests.conftest import port_open


@pytest.fixture
def redis_client():
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    return redis.Redis.from_url("redis://127.0.0.1:6379/0")


def test_worker_scores_queue_and_keeps_bad_payloads(
    redis_client, small_world: Path, tmp_path
) -> None:
    queue = f"ordersight:test:{uuid.uuid4().hex[:8]}"
    settings = Settings(
        home=tmp_path,
        reference_dir=small_world,
        rules_file=REPO_ROOT / "rules" / "default.yaml",
        queue_name=queue,
    )
    scorer = build_scorer(settings)
    lines = (small_world / "orders.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    try:
        redis_client.lpush(queue, *lines, b'{"order_id": "BAD-1"}')
        handled = drain_once(redis_client, scorer, queue, batch_size=100, wait_s=1)
        assert handled == 21
        results = [json.loads(x) for x in redis_client.lrange(results_key(queue), 0, -1)]
        assert sorted(r["order_id"] for r in results) == sorted(
            json.loads(x)["order_id"] for x in lines
        )
        errors = [json.loads(x) for x in redis_client.lrange(errors_key(queue), 0, -1)]
        assert len(errors) == 1 and "BAD-1" in errors[0]["payload"]
        assert drain_once(redis_client, scorer, queue, batch_size=100, wait_s=0.1) == 0
    finally:
        redis_client.delete(queue, results_key(queue), errors_key(queue))
    shutil.rmtree(tmp_path, ignore_errors=True)
