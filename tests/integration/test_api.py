"""The HTTP API end to end over real components: SQLite, the rule file, the demo reference data.

No models are registered here, so every type is scored by the rules fallback; the model path is
covered in test_scoring_quality.py.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ordersight.settings import REPO_ROOT
from serving.app import build_services, create_app
from tests.conftest import ScorerFailingOn, service_settings

KEY = "s3cr3t-test-key"


@pytest.fixture(scope="module")
def env(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings = service_settings(small_world, tmp_path_factory.mktemp("home"), f"ana={KEY}")
    return {
        "settings": settings,
        "world": small_world,
        "rules": settings.rules_file,
        "ref": settings.reference_dir,
    }


@pytest.fixture(scope="module")
def client(env: dict):
    services = build_services(env["settings"])
    with TestClient(create_app(env["settings"], services)) as c:
        c.headers["X-API-Key"] = KEY
        yield c


def _orders(world: Path, n: int) -> list[dict]:
    with (world / "orders.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


def test_health_is_open_and_ready(client: TestClient) -> None:
    anon = TestClient(client.app)
    assert anon.get("/healthz").json() == {"status": "ok"}
    ready = anon.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["checks"]["shared_stream"] == "off"  # each process its own (default)


def test_auth_required(client: TestClient, env: dict) -> None:
    anon = TestClient(client.app)
    order = _orders(env["world"], 1)[0]
    r = anon.post("/v1/orders/score", json=order)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_score_one_follows_contract(client: TestClient, env: dict) -> None:
    order = _orders(env["world"], 1)[0]
    r = client.post("/v1/orders/score", json=order)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["order_id"] == order["order_id"]
    assert body["action"] in {"pass", "review", "hold"}
    assert set(body["scored_by"]) >= {"address", "stock", "price"}
    assert all(v == "rules" for v in body["scored_by"].values())  # no models registered
    assert body["address"]["province"]
    assert body["rules_version"]


def test_bad_order_names_the_field(client: TestClient, env: dict) -> None:
    order = _orders(env["world"], 1)[0]
    order["lines"][0]["qty"] = 0
    r = client.post("/v1/orders/score", json=order)
    assert r.status_code == 422
    assert "lines.0.qty" in r.json()["error"]["message"]
    r = client.post(
        "/v1/orders/score", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


@pytest.mark.parametrize("body", [b"", b"[]", b"\xff\xfe", b"null", b'{"order_id": "x"}'])
def test_score_one_answers_any_body_with_a_422_not_a_500(client: TestClient, body: bytes) -> None:
    r = client.post("/v1/orders/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and error["message"].strip()


def test_batch_keeps_good_orders_when_one_is_bad(client: TestClient, env: dict) -> None:
    orders = _orders(env["world"], 5)
    del orders[2]["lines"]
    r = client.post("/v1/orders/score-batch", json={"orders": [*orders, "not an order"]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 6
    assert (
        results[2]["error"]["code"] == "invalid_order" and "lines" in results[2]["error"]["message"]
    )
    assert results[5]["index"] == 5 and results[5]["error"]["code"] == "invalid_order"
    assert results[5]["error"]["message"].startswith("order: Input should be")
    assert [x.get("order_id") for x in results[:5]] == [o["order_id"] for o in orders]
    assert all("action" in x for i, x in enumerate(results) if i not in (2, 5))


def test_a_copy_sent_after_a_restart_is_still_a_duplicate(
    small_world: Path, tmp_path: Path
) -> None:
    """The service stops (a deploy) between an order and its copy from another channel: the
    restarted service still knows the first (serving/stream_state.py)."""
    first = _orders(small_world, 1)[0]
    copy = first | {"order_id": "copy-1", "channel": "tmall" if first["channel"] == "jd" else "jd"}

    def codes(home: Path, *orders: dict) -> set[str]:
        settings = service_settings(small_world, home, f"ana={KEY}")
        found: set[str] = set()
        for order in orders:  # a run of the service each
            with TestClient(create_app(settings, build_services(settings))) as c:
                r = c.post("/v1/orders/score", json=order, headers={"X-API-Key": KEY})
                found = {i["code"] for i in r.json()["issues"]}
        return found  # of the last order

    assert "DUP_CROSS_CHANNEL" in codes(tmp_path / "restarted", first, copy)
    assert "DUP_CROSS_CHANNEL" not in codes(tmp_path / "fresh", copy)


def test_an_order_the_scorer_fails_on_gets_its_own_error_entry(env: dict) -> None:
    """A bug on one order costs that order only: in a batch it gets its own entry (CONTRACT §3),
    alone it gets a JSON 500, and the orders around it are scored and recorded."""
    services = build_services(env["settings"])
    services.scorer = ScorerFailingOn.wrap(services.scorer)
    orders = _orders(env["world"], 4)
    orders[1]["order_id"] = ScorerFailingOn.POISON
    app = create_app(env["settings"], services)
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": KEY}) as c:
        results = c.post("/v1/orders/score-batch", json={"orders": orders}).json()["results"]
        alone = c.post("/v1/orders/score", json=orders[1])
        after = c.post("/v1/orders/score", json=orders[2])
    assert results[1]["index"] == 1 and results[1]["order_id"] == ScorerFailingOn.POISON
    assert results[1]["error"]["code"] == "scoring_failed"
    assert [r["order_id"] for i, r in enumerate(results) if i != 1] == [
        o["order_id"] for i, o in enumerate(orders) if i != 1
    ]
    assert all("action" in r for i, r in enumerate(results) if i != 1)
    assert alone.status_code == 500 and alone.json()["error"]["code"] == "internal_error"
    assert after.status_code == 200 and after.json()["order_id"] == orders[2]["order_id"]


@pytest.mark.parametrize(
    "body", [b'{"orders": []}', b'{"orders": 5}', b'{"order": []}', b'{"orders": [{]}']
)
def test_a_batch_that_is_not_one_is_rejected_naming_the_field(
    client: TestClient, body: bytes
) -> None:
    r = client.post(
        "/v1/orders/score-batch", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    fields = [d["field"] for d in error["details"]]
    assert any(f.startswith("orders") for f in fields) or "JSON" in error["message"], error


def test_body_limit(client: TestClient) -> None:
    big = b'{"orders": [' + b'"x",' * 3_000_000 + b'"x"]}'
    for path in ("/v1/orders/score-batch", "/v1/orders/score"):  # the order lane's too
        r = client.post(path, content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413, path
        assert r.json()["error"]["code"] == "payload_too_large"


def test_hard_rule_holds_an_order_over_stock(client: TestClient, env: dict) -> None:
    order = _orders(env["world"], 1)[0]
    order["order_id"] = "T-OVER-STOCK"
    order["lines"] = [dict(order["lines"][0], qty=10_000)]
    body = client.post("/v1/orders/score", json=order).json()
    codes = {i["code"] for i in body["issues"]}
    assert body["action"] == "hold"
    assert codes & {"STOCK_INSUFFICIENT", "COMPLIANCE_QTY_LIMIT"}


def test_a_retried_order_gets_the_same_answer_and_one_place_in_the_queue(
    client: TestClient, env: dict
) -> None:
    """The pipeline retries after a timeout, the queue redelivers: the same order each time."""
    order = _orders(env["world"], 1)[0]
    order["order_id"] = "T-RETRIED"
    order["lines"] = [dict(order["lines"][0], list_price=order["lines"][0]["list_price"] * 0.8)]
    replies = [client.post("/v1/orders/score", json=order).json() for _ in range(8)]
    assert all("PRICE_CATALOG_MISMATCH" in {i["code"] for i in r["issues"]} for r in replies)
    assert {r["action"] for r in replies} == {replies[0]["action"]} != {"pass"}
    queued = [i["order_id"] for i in client.get("/v1/review?limit=500").json()["items"]]
    assert queued.count("T-RETRIED") == 1


def test_an_order_corrected_and_sent_again_leaves_the_review_queue(
    client: TestClient, env: dict
) -> None:
    """The channel fixes a wrong price and sends the order again under its id: it now passes, so
    its earlier decision is closed, not left for a reviewer to work."""
    order = _orders(env["world"], 1)[0]
    address = dict(order["address"], phone="13900001234")  # no other test's customer
    order = dict(order, order_id="T-CORRECTED", address=address)
    line = order["lines"][0]
    wrong = dict(order, lines=[dict(line, list_price=line["list_price"] * 0.5)])
    assert client.post("/v1/orders/score", json=wrong).json()["action"] != "pass"
    queued = [i["order_id"] for i in client.get("/v1/review?limit=500").json()["items"]]
    assert "T-CORRECTED" in queued
    assert client.post("/v1/orders/score", json=order).json()["action"] == "pass"
    queued = [i["order_id"] for i in client.get("/v1/review?limit=500").json()["items"]]
    assert "T-CORRECTED" not in queued
    late = client.post("/v1/review/T-CORRECTED/resolve", json={"resolution": "release"})
    assert late.status_code == 409 and "superseded" in late.json()["error"]["message"]


def test_a_flash_sale_holds_the_orders_past_the_last_units(client: TestClient, env: dict) -> None:
    """The warehouse system sends a snapshot (3 units), then orders come faster than the next
    one: the fourth is held as reserved, whatever the single-order micro-batches group."""
    template = _orders(env["world"], 1)[0]
    sku = template["lines"][0]["sku"]
    warehouse = (env["ref"] / "warehouses.csv").read_text(encoding="utf-8").split("\n")[1]
    warehouse = warehouse.split(",")[0]
    row = {"warehouse_id": warehouse, "sku": sku, "on_hand": 3, "reserved": 0, "in_transit": 0}
    assert client.put("/v1/reference/stock", json={"rows": [row]}).status_code == 200
    now = datetime.now(UTC).isoformat()

    def buyer(k: int) -> dict:
        address = dict(template["address"], phone=f"1390000{k:04d}")
        line = dict(template["lines"][0], qty=1)
        return dict(template, order_id=f"T-FLASH-{k}", created_at=now, address=address,
                    warehouse_id=warehouse, lines=[line])  # fmt: skip

    replies = [client.post("/v1/orders/score", json=buyer(k)).json() for k in range(4)]
    stock_codes = [{i["code"] for i in r["issues"] if i["type"] == "stock"} for r in replies]
    assert stock_codes == [set(), set(), set(), {"STOCK_RESERVED"}]
    assert replies[3]["action"] == "hold"
    again = client.post("/v1/orders/score", json=buyer(0)).json()  # a retry keeps its units
    assert not [i for i in again["issues"] if i["type"] == "stock"]


def test_reference_update_validates_then_swaps(client: TestClient, env: dict) -> None:
    stock_csv = (env["ref"] / "stock.csv").read_text(encoding="utf-8")
    bad = client.put(
        "/v1/reference/stock",
        json={
            "rows": [
                {"warehouse_id": "WH-X", "sku": "A", "on_hand": 5, "reserved": 0, "in_transit": 0},
                {"warehouse_id": "WH-X", "sku": "B", "on_hand": -1, "reserved": 0, "in_transit": 0},
            ]
        },
    )
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert detail["row"] == 3 and detail["column"] == "on_hand"
    assert (env["ref"] / "stock.csv").read_text(encoding="utf-8") == stock_csv  # untouched
    ok = client.put(
        "/v1/reference/stock",
        json={
            "rows": [
                {"warehouse_id": "WH-X", "sku": "A", "on_hand": 5, "reserved": 0, "in_transit": 0},
            ]
        },
    )
    assert ok.status_code == 200 and ok.json()["rows_received"] == 1
    assert "WH-X,A,5" in (env["ref"] / "stock.csv").read_text(encoding="utf-8")
    swapped = client.app.state.services.reference.data
    assert "_order_index" in swapped.extra  # the scoring arrays came with the swap


def test_invalid_rule_file_keeps_old_rules(client: TestClient, env: dict) -> None:
    good = env["rules"].read_text(encoding="utf-8")
    version = client.post("/v1/rules/reload").json()["version"]
    try:
        env["rules"].write_text(good + "\nrules: [oops\n", encoding="utf-8")
        r = client.post("/v1/rules/reload")
        assert r.status_code == 422
        assert version in r.json()["error"]["message"]
        order = _orders(env["world"], 1)[0]
        assert client.post("/v1/orders/score", json=order).json()["rules_version"] == version
    finally:
        env["rules"].write_text(good, encoding="utf-8")
        client.post("/v1/rules/reload")


def test_codes_address_and_metrics(client: TestClient) -> None:
    codes = client.get("/v1/codes").json()["codes"]
    assert {"ADDR_REGION_CONFLICT", "STOCK_INSUFFICIENT", "DUP_CROSS_CHANNEL"} <= {
        c["code"] for c in codes
    }
    by_code = {c["code"]: c for c in codes}  # what each code's suggestion corrects
    assert by_code["DUP_CROSS_CHANNEL"]["correction"].startswith("duplicate_of")
    assert by_code["ADDR_DETAIL_MISSING"]["correction"].startswith("none")
    one = client.post("/v1/address/parse", json={"raw": "浙江杭州西湖区文三路90号"}).json()
    assert (one["province"], one["city"], one["district"]) == ("浙江省", "杭州市", "西湖区")
    many = client.post(
        "/v1/address/parse", json={"items": ["北京市朝阳区建国路1号", "上海徐汇区漕溪北路1号"]}
    )
    assert [x["city"] for x in many.json()["items"]] == ["北京市", "上海市"]
    assert client.post("/v1/address/parse", json={}).status_code == 422
    text = TestClient(client.app).get("/metrics").text
    assert "ordersight_orders_scored_total" in text


def _counters(client: TestClient) -> dict[tuple[str, tuple], float]:
    text = TestClient(client.app).get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name in {"ordersight_orders_scored_total", "ordersight_issues_total"}
    }


def test_metrics_count_each_action_and_issue_of_a_batch(client: TestClient, env: dict) -> None:
    before = _counters(client)
    results = client.post(
        "/v1/orders/score-batch", json={"orders": _orders(env["world"], 300)}
    ).json()["results"]
    after = _counters(client)
    expected: Counter[tuple[str, tuple]] = Counter()
    for r in results:
        expected["ordersight_orders_scored_total", (("action", r["action"]),)] += 1
        for i in r["issues"]:
            labels = (("scored_by", i["scored_by"]), ("type", i["type"]))
            expected["ordersight_issues_total", labels] += 1
    assert len({key[1] for key in expected}) >= 3  # several actions and issue types counted
    changed = {k: after[k] - before.get(k, 0.0) for k in after if after[k] != before.get(k, 0.0)}
    assert changed == expected


def test_native_channel_payload_is_adapted_and_scored(client: TestClient) -> None:
    samples = REPO_ROOT / "data" / "samples" / "channels"
    for channel in ("tmall", "jd", "pdd"):
        payload = json.loads((samples / f"{channel}.json").read_text(encoding="utf-8"))
        r = client.post(f"/v1/channels/{channel}/orders/score", json=payload)
        assert r.status_code == 200, r.text
        assert r.json()["action"] in {"pass", "review", "hold"}
    r = client.post("/v1/channels/nosuch/orders/score", json={"a": 1})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "channel"


def test_startup_warms_up_and_freezes_the_heap(env: dict) -> None:
    """Before the first order: the reference arrays are built, and what start-up loaded is
    frozen out of garbage collection (no full collection walks it per order)."""
    import gc

    from serving.heap import MIDDLE_THRESHOLD, OLDEST_THRESHOLD, YOUNG_THRESHOLD

    services = build_services(env["settings"])
    ref = services.reference.data
    assert "_order_index" not in ref.extra
    with TestClient(create_app(env["settings"], services)):
        assert "_order_index" in ref.extra  # built by start-up, not by the first order
        assert gc.get_freeze_count() > 100_000  # gazetteer, lexicon, reference data …
        assert gc.get_threshold() == (YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLDEST_THRESHOLD)
