"""The duplicate window and the stock ledger shared in Redis (serving/shared_stream.py):
processes scoring one order stream (queue workers, the API) see one another's orders and takes,
and go on without Redis when it fails. Real Redis, real workers' path."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from features.duplicates import RecentOrders, Seen
from features.orders import order_feature_frame
from features.stock_ledger import LedgerUnavailable
from ordersight.reference import ReferenceData
from ordersight.settings import REPO_ROOT, Settings
from ordersight.storage import SqlRepository
from serving.app import build_services, create_app
from serving.offline import build_scorer
from serving.shared_stream import RedisLedger, RedisLink, RedisWindow, shared_stores
from serving.worker import QueueWorker, results_key
from tests.conftest import service_settings
from tests.unit.test_order_features import _after_snapshot, _flash, order, small_reference


@pytest.fixture
def settings(small_world: Path, tmp_path: Path, redis_keys) -> Settings:
    _, prefix = redis_keys
    return Settings(
        home=tmp_path,
        reference_dir=small_world,
        rules_file=REPO_ROOT / "rules" / "default.yaml",
        queue_name=prefix,
        shared_stream=True,
    )


def _worker(redis_keys, settings: Settings, consumer: str, shared: bool) -> QueueWorker:
    """A worker as `ordersight worker` starts one: its own scorer, the window shared or not."""
    client, _ = redis_keys
    scorer = build_scorer(settings)
    if shared:
        scorer.share_stream(*shared_stores(settings, scorer.recent.window))
    return QueueWorker(
        client=client,
        scorer=scorer,
        repo=SqlRepository.from_url(settings.database_url),
        queue=settings.queue_name,
        consumer=consumer,
    )


def _scored(worker: QueueWorker, order: dict) -> dict:
    """Push ``order``, let ``worker`` take it; its result."""
    client = worker.client
    client.lpush(worker.queue, json.dumps(order, ensure_ascii=False))
    assert worker.drain_once(batch_size=10, wait_s=1) == 1
    return json.loads(client.lpop(results_key(worker.queue)))


def _an_order(small_world: Path, phone: str) -> dict:
    order = json.loads((small_world / "orders.jsonl").read_text(encoding="utf-8").splitlines()[0])
    return dict(order, address=dict(order["address"], phone=phone))  # no other order's customer


def _cannot_connect() -> None:
    """What a call meets while Redis refuses connections."""
    raise redis.ConnectionError("Error 111 connecting: Connection refused.")


@pytest.mark.parametrize("shared", [True, False])
def test_a_copy_taken_by_another_worker_is_a_duplicate_when_the_window_is_shared(
    redis_keys, settings: Settings, small_world: Path, shared: bool
) -> None:
    """Two workers on one queue: the order reaches one, its copy from another channel the other.
    Each worker's own window (the default) misses it; the shared one does not."""
    first = dict(_an_order(small_world, "13900002345"), order_id="W-FIRST", channel="tmall")
    copy = dict(first, order_id="W-COPY", channel="jd")
    one, other = (_worker(redis_keys, settings, name, shared) for name in ("one", "other"))
    assert "DUP_CROSS_CHANNEL" not in {i["code"] for i in _scored(one, first)["issues"]}
    codes = {i["code"] for i in _scored(other, copy)["issues"]}
    assert ("DUP_CROSS_CHANNEL" in codes) is shared
    retried = {i["code"] for i in _scored(one, first)["issues"]}  # first, redelivered to one
    assert ("DUP_CROSS_CHANNEL" in retried) is shared  # the copy's, never its own


@pytest.mark.parametrize("shared", [True, False])
def test_an_order_corrected_through_another_worker_leaves_the_review_queue(
    redis_keys, settings: Settings, small_world: Path, shared: bool
) -> None:
    """A wrong price goes to review through one worker; the channel corrects it and it passes
    through another: its decision is closed when the window is shared."""
    order = dict(_an_order(small_world, "13900003456"), order_id="W-CORRECTED")
    line = order["lines"][0]
    wrong = dict(order, lines=[dict(line, list_price=line["list_price"] * 0.5)])
    one, other = (_worker(redis_keys, settings, name, shared) for name in ("one", "other"))
    assert _scored(one, wrong)["action"] != "pass"
    assert _scored(other, order)["action"] == "pass"
    status = one.repo.get_decision("W-CORRECTED")["status"]
    assert status == ("superseded" if shared else "open")


def test_the_api_and_a_worker_share_the_window_when_told(
    redis_keys, small_world: Path, tmp_path: Path
) -> None:
    """The API (as `make run` starts it, the setting from the environment) scores the order; a
    queue worker gets its copy from another channel: a duplicate."""
    _, prefix = redis_keys
    api = service_settings(small_world, tmp_path / "api", "")
    api = api.model_copy(update={"queue_name": prefix, "shared_stream": True})
    first = dict(_an_order(small_world, "13900004567"), order_id="A-FIRST", channel="douyin")
    with TestClient(create_app(api, build_services(api))) as client:
        scored = client.post("/v1/orders/score", json=first).json()
        assert client.get("/readyz").json()["checks"]["shared_stream"] == "ok"
    assert "DUP_CROSS_CHANNEL" not in {i["code"] for i in scored["issues"]}
    worker = _worker(redis_keys, api, "one", shared=True)
    copy = dict(first, order_id="A-COPY", channel="pdd")
    assert "DUP_CROSS_CHANNEL" in {i["code"] for i in _scored(worker, copy)["issues"]}


def test_processes_exchanging_at_once_each_see_the_ones_before(redis_keys) -> None:
    """The read-and-add is one step in Redis: eight processes (threads here, each its own
    connection's turn) sending copies of one order at once find 0, 1, … 199 before theirs, no two
    the same count (a read and a write apart would let two read before either wrote)."""
    client, prefix = redis_keys
    window = RedisWindow(RedisLink(client), prefix, timedelta(hours=24))
    key = ("p1381234", "330106|文三路90号501", (("milk-s1", 1),))
    found: list[int] = []
    start = threading.Barrier(8)

    def send(k: int) -> None:
        start.wait()
        for j in range(25):
            (prior,) = window.exchange([key], [Seen(1.7e9 + k, f"ch{k}", f"o{k}-{j}")])
            found.append(len(prior))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(found) == list(range(200))


def test_an_unreachable_redis_leaves_orders_scored_against_the_process_window() -> None:
    """Redis gone: the batch is read against what this process saw (a copy it scored itself is
    still found), the review marks are skipped, and nothing raises."""
    gone = Settings(shared_stream=True, redis_url="redis://127.0.0.1:1/0")
    missed: list[str] = []
    window, _ = shared_stores(gone, timedelta(hours=24), missed.append)
    recent = RecentOrders(shared=window)
    first, copy = order(oid="a", channel="tmall"), order(oid="b", channel="jd")
    assert recent.observe([first, copy]).cross_channel.tolist() == [0, 1]
    recent.remember_queued([first])
    assert recent.queued_among(["a"]) == set()
    assert missed == ["window", "review_marks", "review_marks"]


def test_after_a_failed_call_redis_is_not_asked_for_a_pause(redis_keys) -> None:
    """While Redis hangs each call would wait out its own timeout: after one fails, the batches
    of the next pause go without it at once; a pause doubles while calls go on failing; then
    Redis is asked again."""
    client, prefix = redis_keys
    missed: list[str] = []
    link = RedisLink(client, missed.append, first_pause_s=0.5)
    recent = RecentOrders(shared=RedisWindow(link, prefix, timedelta(hours=24)))

    def shared_keys() -> int:
        return len(client.keys(f"{prefix}:dup:*"))

    with pytest.raises(redis.ConnectionError):
        link.call(_cannot_connect)
    recent.observe([order(oid="a", channel="tmall")])
    assert missed == ["window"] and shared_keys() == 0  # Redis is up, and not asked
    assert not link.reachable()  # nor by a readiness probe
    time.sleep(0.6)
    with pytest.raises(redis.ConnectionError):  # asked again, failing again: a 1 s pause
        link.call(_cannot_connect)
    time.sleep(0.6)
    recent.observe([order(oid="b", channel="jd")])
    assert missed == ["window", "window"] and shared_keys() == 0
    time.sleep(0.5)
    recent.observe([order(oid="c", channel="pdd")])
    assert missed == ["window", "window"] and shared_keys() == 1
    assert link.reachable()


def test_the_api_reports_an_unreachable_shared_stream_and_goes_on_scoring(
    small_world: Path, tmp_path: Path
) -> None:
    """Redis gone: /readyz says so and stays ready (orders are scored against the API's own
    window and ledger), and an order is scored."""
    api = service_settings(small_world, tmp_path, "").model_copy(
        update={"shared_stream": True, "redis_url": "redis://127.0.0.1:1/0"}
    )
    with TestClient(create_app(api, build_services(api))) as client:
        ready = client.get("/readyz")
        scored = client.post("/v1/orders/score", json=_an_order(small_world, "13900004568"))
        metrics = client.get("/metrics").text
    assert ready.status_code == 200 and ready.json()["checks"]["shared_stream"] == "unreachable"
    assert scored.status_code == 200 and scored.json()["action"] in {"pass", "review", "hold"}
    assert 'ordersight_shared_stream_misses_total{part="window"} 1.0' in metrics


@pytest.fixture
def flash_ref() -> ReferenceData:
    """test_order_features' world after its stock snapshot: WH-GZ holds 5 of MILK-S1."""
    return _after_snapshot(small_reference())


def _process(redis_keys) -> RecentOrders:
    """One process's order stream, its window and ledger in Redis under the test's prefix."""
    client, prefix = redis_keys
    link = RedisLink(client)
    recent = RecentOrders(shared=RedisWindow(link, prefix, timedelta(hours=24)))
    recent.stock_taken.shared = RedisLedger(link, prefix)
    return recent


def _short(frame) -> list[int]:
    return frame.lines_short_available.tolist()


def test_two_processes_cannot_sell_the_same_last_units(redis_keys, flash_ref) -> None:
    """A flash sale reaching two workers: the second reads what the first took; a retry through
    the other worker keeps its answer and takes nothing again."""
    one, other = _process(redis_keys), _process(redis_keys)
    assert _short(order_feature_frame([_flash(1, 2), _flash(2, 2)], flash_ref, one)) == [0, 0]
    assert _short(order_feature_frame([_flash(3, 2)], flash_ref, other)) == [1]  # 1 left of 5
    assert _short(order_feature_frame([_flash(1, 2)], flash_ref, other)) == [0]  # a retry
    assert _short(order_feature_frame([_flash(4, 1), _flash(5, 1)], flash_ref, other)) == [0, 1]
    apart = order_feature_frame([_flash(3, 2)], flash_ref, RecentOrders())
    assert _short(apart) == [0]  # a process of its own reads all 5


def test_workers_taking_at_once_sell_each_unit_once(redis_keys, flash_ref) -> None:
    """Eight processes (threads here) score 24 one-unit orders at once against 5 units: five
    are filled, whatever the interleaving (a read and a write apart would fill more)."""
    filled: list[int] = []
    start = threading.Barrier(8)

    def sell(k: int) -> None:
        recent = _process(redis_keys)
        start.wait()
        for j in range(3):
            frame = order_feature_frame([_flash(10 * k + j, 1)], flash_ref, recent)
            filled.append(int(_short(frame)[0] == 0))

    threads = [threading.Thread(target=sell, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(filled) == 24 and sum(filled) == 5


class _ShortReply(RedisLedger):
    """A ledger whose reply does not fit the cells it asked for: reading it in fails after the
    turn is taken."""

    def begin(self, cells, order_ids):
        counts, takes = super().begin(cells, order_ids)
        return counts[:-1], takes


def test_a_turn_that_fails_while_reading_in_is_ended_at_once(redis_keys, flash_ref) -> None:
    """The batch's error goes up and its turn ends: the next batch does not wait for it to run
    out (10 s, then 5 s of waiting and taking on its own)."""
    client, prefix = redis_keys
    failing = RecentOrders()
    failing.stock_taken.shared = _ShortReply(RedisLink(client), prefix)
    with pytest.raises(ValueError):
        order_feature_frame([_flash(1, 2)], flash_ref, failing)
    assert client.exists(f"{prefix}:ledger-turn") == 0
    other = RecentOrders()
    other.stock_taken.shared = RedisLedger(RedisLink(client), prefix, wait_s=0.5)
    assert _short(order_feature_frame([_flash(2, 5)], flash_ref, other)) == [0]  # took its turn


def test_a_batch_that_gets_no_turn_in_time_takes_on_its_own_and_says_so(
    redis_keys, flash_ref
) -> None:
    """Another process holds the turn (a long batch, or one that died holding it): after
    ``wait_s`` the batch reads and takes on its process's own ledger, and the miss is told."""
    client, prefix = redis_keys
    holder = RedisLedger(RedisLink(client), prefix)
    holder.begin([], [])
    missed: list[str] = []
    waiting = RecentOrders()
    link = RedisLink(client, missed.append)
    waiting.stock_taken.shared = RedisLedger(link, prefix, wait_s=0.2)
    assert _short(order_feature_frame([_flash(1, 5)], flash_ref, waiting)) == [0]  # its own 5
    assert missed == ["ledger"]
    holder.commit([])
    assert _short(order_feature_frame([_flash(2, 1)], flash_ref, waiting)) == [1]  # none left
    assert missed == ["ledger"]  # the turn came, and the 5 taken alone were added
    assert _short(order_feature_frame([_flash(3, 1)], flash_ref, _process(redis_keys))) == [1]


class _RedisGoesAway(RedisLedger):
    """A ledger whose Redis refuses a connection once, for a pause of 0.3 s: before its next
    turn, or during it (after the counts are read, before the takes are added)."""

    def __init__(self, client, prefix: str, when: str) -> None:
        super().__init__(RedisLink(client, first_pause_s=0.3), prefix, turn_ms=300)
        self.when: str | None = when

    def begin(self, cells, order_ids):
        if self.when == "before the turn":
            self._away()
        got = super().begin(cells, order_ids)
        if self.when == "during the turn":
            self._away()
        return got

    def _away(self) -> None:
        self.when = None
        with pytest.raises(redis.ConnectionError):
            self.link.call(_cannot_connect)


@pytest.mark.parametrize("when", ["before the turn", "during the turn"])
def test_takes_made_while_redis_was_away_are_added_when_it_returns(
    redis_keys, flash_ref, when: str
) -> None:
    """A batch that could not reach the shared ledger took alone; its takes are added at its
    process's next turn, so the other processes do not sell those units again."""
    client, prefix = redis_keys
    one = RecentOrders()
    one.stock_taken.shared = _RedisGoesAway(client, prefix, when)
    assert _short(order_feature_frame([_flash(1, 3)], flash_ref, one)) == [0]  # 3 of 5, alone
    time.sleep(0.4)  # Redis answers again (and a turn left held has run out)
    assert _short(order_feature_frame([_flash(2, 1)], flash_ref, one)) == [0]  # 4 of 5
    other = _process(redis_keys)
    assert _short(order_feature_frame([_flash(3, 2)], flash_ref, other)) == [1]  # 1 left


class _ReplyLost(RedisLedger):
    """A ledger whose first commit runs in Redis but whose reply is lost (a timeout): its process
    cannot know the takes were added, and keeps them for its next turn."""

    lost = True

    def commit(self, takes):
        super().commit(takes)
        if self.lost:
            self.lost = False
            raise LedgerUnavailable("Timeout reading from socket")


def test_takes_whose_commit_reply_was_lost_count_once(redis_keys, flash_ref) -> None:
    """The next turn asks the shared ledger for those orders' takes: it holds them, so they are
    neither counted again by the process nor added again to the ledger."""
    client, prefix = redis_keys
    one = RecentOrders()
    one.stock_taken.shared = _ReplyLost(RedisLink(client), prefix)
    assert _short(order_feature_frame([_flash(1, 2)], flash_ref, one)) == [0]  # 2 of 5
    assert _short(order_feature_frame([_flash(2, 2)], flash_ref, one)) == [0]  # 4 of 5, not 6
    other = _process(redis_keys)
    assert _short(order_feature_frame([_flash(3, 1)], flash_ref, other)) == [0]  # the 5th
    assert _short(order_feature_frame([_flash(4, 1)], flash_ref, other)) == [1]  # none left


def test_takes_made_alone_are_added_after_a_restart(redis_keys, flash_ref, tmp_path: Path):
    """The takes waiting for a turn are in the state a process saves when it stops."""
    from serving.stream_state import load_stream_state, save_stream_state

    client, prefix = redis_keys
    one = RecentOrders()
    one.stock_taken.shared = _RedisGoesAway(client, prefix, "before the turn")
    assert _short(order_feature_frame([_flash(1, 3)], flash_ref, one)) == [0]  # alone
    save_stream_state(one, tmp_path / "worker.pickle")
    restarted = load_stream_state(tmp_path / "worker.pickle")
    assert restarted is not None
    restarted.stock_taken.shared = RedisLedger(RedisLink(client), prefix)
    assert _short(order_feature_frame([_flash(2, 1)], flash_ref, restarted)) == [0]  # 4 of 5
    other = _process(redis_keys)
    assert _short(order_feature_frame([_flash(3, 2)], flash_ref, other)) == [1]  # 1 left


def test_a_stream_saved_at_stop_leaves_its_connections_out(
    redis_keys, settings: Settings, tmp_path: Path
) -> None:
    """The state file holds what the process learnt, not its Redis connections; a restarted
    process keeps the shared stores it was given."""
    from serving.stream_state import load_stream_state, save_stream_state

    recent = _process(redis_keys)
    save_stream_state(recent, tmp_path / "api.pickle")
    loaded = load_stream_state(tmp_path / "api.pickle")
    assert loaded is not None and loaded.shared is None and loaded.stock_taken.shared is None
    scorer = build_scorer(settings)
    scorer.share_stream(recent.shared, recent.stock_taken.shared)
    scorer.resume_stream(tmp_path / "api.pickle")
    assert scorer.recent is not recent and scorer.recent.shared is recent.shared
    assert scorer.recent.stock_taken.shared is recent.stock_taken.shared
