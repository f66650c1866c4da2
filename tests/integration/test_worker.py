"""The Redis queue worker against the real local Redis and a real SQLite review store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ordersight.settings import REPO_ROOT, Settings
from ordersight.storage import SqlRepository
from serving.offline import build_scorer
from serving.service import Scorer
from serving.worker import QueueWorker, errors_key, processing_key, results_key
from tests.conftest import ScorerFailingOn, port_open


@pytest.fixture
def redis_client():
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    return redis.Redis.from_url("redis://127.0.0.1:6379/0")


@pytest.fixture
def queue(redis_client) -> Iterator[str]:
    name = f"ordersight:test:{uuid.uuid4().hex[:8]}"
    yield name
    left = redis_client.keys(f"{name}*")  # the queue and its results, errors, processing lists
    if left:
        redis_client.delete(*left)


@pytest.fixture
def settings(small_world: Path, tmp_path: Path, queue: str) -> Settings:
    return Settings(
        home=tmp_path,
        reference_dir=small_world,
        rules_file=REPO_ROOT / "rules" / "default.yaml",
        queue_name=queue,
    )


@pytest.fixture
def payloads(small_world: Path) -> list[str]:
    return (small_world / "orders.jsonl").read_text(encoding="utf-8").splitlines()[:40]


def _worker(client, settings: Settings, scorer: Scorer | None = None) -> QueueWorker:
    return QueueWorker(
        client=client,
        scorer=scorer or build_scorer(settings),
        repo=SqlRepository.from_url(settings.database_url),
        queue=settings.queue_name,
        consumer="test-worker",
    )


def _pushed(client, key: str) -> list[dict]:
    return [json.loads(x) for x in client.lrange(key, 0, -1)]


def test_worker_scores_queue_stores_decisions_and_keeps_bad_payloads(
    redis_client, settings: Settings, payloads: list[str]
) -> None:
    worker = _worker(redis_client, settings)
    redis_client.lpush(settings.queue_name, *payloads, b'{"order_id": "BAD-1"}')
    assert worker.drain_once(batch_size=100, wait_s=1) == 41
    results = _pushed(redis_client, results_key(settings.queue_name))
    assert sorted(r["order_id"] for r in results) == sorted(
        json.loads(x)["order_id"] for x in payloads
    )
    errors = _pushed(redis_client, errors_key(settings.queue_name))
    assert len(errors) == 1 and "BAD-1" in errors[0]["payload"]
    # held and review orders reach the review queue, as the API's do
    flagged = {r["order_id"] for r in results if r["action"] != "pass"}
    assert flagged, "the small world has orders that need a person"
    stored = worker.repo.list_decisions(["review", "hold"], limit=1000)
    assert {d["order_id"] for d in stored} == flagged
    assert redis_client.llen(worker.processing) == 0
    assert worker.drain_once(batch_size=100, wait_s=0.1) == 0
    counted = worker.metrics.registry.get_sample_value
    assert _orders_scored(worker.metrics.render().decode()) == 40
    assert counted("ordersight_worker_errors_total") == 1
    assert counted("ordersight_score_seconds_count", {"endpoint": "worker"}) == 1  # one batch


def _orders_scored(metrics: str) -> float:
    """Orders counted in Prometheus text, every action together."""
    return sum(
        s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if s.name == "ordersight_orders_scored_total"
    )


def test_a_batch_left_unfinished_goes_back_to_the_head_of_the_queue(
    redis_client, settings: Settings, payloads: list[str]
) -> None:
    """A worker killed mid-batch: its batch waits in its processing list, not lost; the next run
    puts it back where it was and scores everything once."""
    queue = settings.queue_name
    redis_client.lpush(queue, *payloads)
    before = redis_client.lrange(queue, 0, -1)
    died = _worker(redis_client, settings)
    taken = died._take(batch_size=15, wait_s=1)  # …and the process stops here
    assert taken == [p.encode() for p in payloads[:15]]  # the oldest first
    assert redis_client.llen(queue) == 25
    assert redis_client.llen(processing_key(queue, "test-worker")) == 15

    restarted = _worker(redis_client, settings)
    assert restarted.recover() == 15
    assert redis_client.lrange(queue, 0, -1) == before
    while restarted.drain_once(batch_size=15, wait_s=0.1):
        pass
    results = _pushed(redis_client, results_key(queue))
    assert sorted(r["order_id"] for r in results) == sorted(
        json.loads(p)["order_id"] for p in payloads
    )
    assert redis_client.llen(restarted.processing) == 0


def test_an_order_the_scorer_fails_on_does_not_sink_its_batch(
    redis_client, settings: Settings, payloads: list[str]
) -> None:
    scorer = ScorerFailingOn.wrap(build_scorer(settings))
    poison = json.loads(payloads[3]) | {"order_id": ScorerFailingOn.POISON}
    batch = [*payloads[:10], json.dumps(poison, ensure_ascii=False)]
    redis_client.lpush(settings.queue_name, *batch)
    worker = _worker(redis_client, settings, scorer)
    assert worker.drain_once(batch_size=100, wait_s=1) == 11
    results = _pushed(redis_client, results_key(settings.queue_name))
    assert sorted(r["order_id"] for r in results) == sorted(
        json.loads(p)["order_id"] for p in payloads[:10]
    )
    [error] = _pushed(redis_client, errors_key(settings.queue_name))
    assert ScorerFailingOn.POISON in error["payload"]
    assert error["error"] == "scoring failed: RuntimeError: feature code broke"
    assert redis_client.llen(worker.processing) == 0


def test_the_worker_command_finishes_what_its_last_run_left(
    redis_client, settings: Settings, payloads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ordersight worker --once` as an operator restarts it: the batch the last run of this
    consumer held is scored with the rest of the queue, and nothing is left behind."""
    from typer.testing import CliRunner

    from ordersight.cli import app
    from ordersight.settings import get_settings

    for name, value in (
        ("HOME", settings.home),
        ("REFERENCE_DIR", settings.reference_dir),
        ("RULES_FILE", settings.rules_file),
        ("QUEUE_NAME", settings.queue_name),
    ):
        monkeypatch.setenv(f"ORDERSIGHT_{name}", str(value))
    get_settings.cache_clear()
    held = processing_key(settings.queue_name, "cli-worker")
    redis_client.lpush(held, *payloads[:5])  # the batch a killed run had taken
    redis_client.lpush(settings.queue_name, *payloads[5:])
    try:
        out = CliRunner().invoke(app, ["worker", "--once", "--consumer", "cli-worker"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert "scored 40 orders" in out.output
    results = _pushed(redis_client, results_key(settings.queue_name))
    assert len(results) == 40 and redis_client.llen(held) == 0
    assert (settings.home / "stream" / "worker-cli-worker.pickle").exists()  # for its next run
    stored = SqlRepository.from_url(settings.database_url).list_decisions(
        ["review", "hold"], limit=1000
    )
    assert {d["order_id"] for d in stored} == {
        r["order_id"] for r in results if r["action"] != "pass"
    }


def test_a_worker_stopped_by_its_service_manager_saves_what_it_learnt(
    redis_client, settings: Settings, payloads: list[str]
) -> None:
    """SIGTERM (systemd, Kubernetes) ends the worker after the batch in hand with exit code 0,
    and it keeps the order stream's state for its next start. Meanwhile it serves its metrics
    (``--metrics-port``)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    env = os.environ | {
        "ORDERSIGHT_HOME": str(settings.home),
        "ORDERSIGHT_REFERENCE_DIR": str(settings.reference_dir),
        "ORDERSIGHT_RULES_FILE": str(settings.rules_file),
        "ORDERSIGHT_QUEUE_NAME": settings.queue_name,
    }
    redis_client.lpush(settings.queue_name, *payloads)
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "ordersight.cli", "worker", "--consumer", "svc"]
    command += ["--metrics-port", str(port)]
    log = settings.home / "worker.log"  # its status line and logs (stderr), read at the end
    with log.open("w") as err:
        proc = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while redis_client.llen(results_key(settings.queue_name)) < len(payloads):
            assert proc.poll() is None and time.monotonic() < deadline, "the worker did not score"
            time.sleep(0.2)
        metrics = f"http://127.0.0.1:{port}/metrics"  # counted just after the results are pushed
        while _orders_scored(httpx.get(metrics, timeout=5).text) < len(payloads):
            assert time.monotonic() < deadline, "the worker's metrics did not count its orders"
            time.sleep(0.1)
        assert _orders_scored(httpx.get(metrics, timeout=5).text) == len(payloads)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert "scored 40 orders" in log.read_text(encoding="utf-8")  # it returned, not died
    assert (settings.home / "stream" / "worker-svc.pickle").exists()
