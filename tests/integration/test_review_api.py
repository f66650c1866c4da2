"""Review queue and feedback endpoints against a real SQLite repository."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ordersight.cli import app
from ordersight.settings import get_settings
from tests.ui_seed import World, build_world, make_app, scored_orders


@pytest.fixture
def world(tmp_path) -> World:
    return build_world(tmp_path)  # auth off: X-User names the caller


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(make_app(world.services), headers={"X-User": "carol"}) as c:
        yield c


def queue(client: TestClient) -> list[str]:
    return [i["order_id"] for i in client.get("/v1/review").json()["items"]]


def test_queue_is_open_orders_newest_first_with_issues(client: TestClient) -> None:
    seeded = sorted(scored_orders(), key=lambda p: p[0].created_at, reverse=True)
    assert queue(client) == [o.order_id for o, _ in seeded]
    first = client.get("/v1/review?limit=1").json()["items"]
    assert len(first) == 1
    issue = first[0]["issues"][0]
    assert issue["suggestion"] == {"field": "address.city", "value": "杭州市"}
    assert issue["evidence"][0]["feature"] == "district_city_mismatch"
    assert first[0]["order"]["address"]["raw"].startswith("浙江宁波市")
    assert first[0]["address"]["adcode"] == "330106"
    assert client.get("/v1/review?limit=0").status_code == 422


def test_feedback_is_stored_with_the_caller(client: TestClient, world: World) -> None:
    body = {"order_id": "JD-2", "type": "price", "code": "PRICE_BELOW_FLOOR", "label": "true_issue"}
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 201, response.text
    stored = world.repo.list_feedback("JD-2")
    assert len(stored) == 1 and stored[0]["id"] == response.json()["id"]
    assert (stored[0]["user"], stored[0]["label"], stored[0]["code"]) == (
        "carol",
        "true_issue",
        "PRICE_BELOW_FLOOR",
    )


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"order_id": "NOPE-1"}, 404, "not_found"),
        ({"label": "maybe"}, 422, "invalid_request"),
        ({"type": "weather"}, 422, "invalid_request"),
        ({"code": "ADDR_NOT_A_CODE"}, 422, "unknown_code"),
    ],
)
def test_bad_feedback_is_refused(
    client: TestClient, world: World, change: dict, status: int, code: str
) -> None:
    body = {"order_id": "JD-1", "type": "address", "label": "false_alarm", **change}
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert world.repo.list_feedback() == []


def test_accepting_a_suggestion_labels_it_and_closes_the_order(
    client: TestClient, world: World
) -> None:
    body = {"resolution": "accept_suggestion", "type": "address", "code": "ADDR_REGION_CONFLICT"}
    response = client.post("/v1/review/JD-1/resolve", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"
    [stored] = world.repo.list_feedback("JD-1")
    assert stored["label"] == "true_issue" and stored["code"] == "ADDR_REGION_CONFLICT"
    assert stored["corrected"] == {"address.city": "杭州市"}
    assert stored["user"] == "carol"
    assert world.repo.get_decision("JD-1")["status"] == "resolved"
    assert "JD-1" not in queue(client)
    assert client.post("/v1/review/JD-1/resolve", json=body).status_code == 409


def test_false_alarm_and_release(client: TestClient, world: World) -> None:
    no_suggestion = client.post("/v1/review/JD-3/resolve", json={"resolution": "accept_suggestion"})
    assert no_suggestion.status_code == 422
    alarm = client.post("/v1/review/JD-3/resolve", json={"resolution": "false_alarm"})
    assert [f["label"] for f in alarm.json()["feedback"]] == ["false_alarm"]
    assert world.repo.list_feedback("JD-3")[0]["code"] == "ADDR_BAD_PHONE"
    released = client.post("/v1/review/JD-2/resolve", json={"resolution": "release"})
    assert released.json() == {"order_id": "JD-2", "status": "released", "feedback": []}
    assert world.repo.list_feedback("JD-2") == []
    assert world.repo.get_decision("JD-2")["status"] == "released"
    assert queue(client) == ["JD-1"]
    unknown = client.post("/v1/review/NOPE/resolve", json={"resolution": "release"})
    assert unknown.status_code == 404


def test_feedback_summary_counts_latest_verdicts_per_code_and_scorer(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts = [
        ("JD-1", "address", None, "false_alarm"),  # changed mind: the later verdict counts
        ("JD-1", "address", None, "true_issue"),
        ("JD-2", "price", "PRICE_BELOW_FLOOR", "false_alarm"),
        ("JD-3", "address", "ADDR_BAD_PHONE", "false_alarm"),
        ("JD-3", "price", None, "true_issue"),  # an issue the scorer did not raise
    ]
    for order_id, kind, code, label in verdicts:
        body = {"order_id": order_id, "type": kind, "code": code, "label": label}
        assert client.post("/v1/feedback", json=body).status_code == 201
    summary = client.get("/v1/feedback/summary").json()["codes"]
    shown = [(c["code"], c["scored_by"], c["true_issue"], c["false_alarm"]) for c in summary]
    assert shown == [
        ("ADDR_BAD_PHONE", "rules", 0, 1),  # most false alarms first
        ("PRICE_BELOW_FLOOR", "rules", 0, 1),
        ("", "unflagged", 1, 0),
        ("ADDR_REGION_CONFLICT", "model", 1, 0),
    ]
    assert summary[0]["precision"] == 0.0 and summary[-1]["precision"] == 1.0
    # the command prints the same, from the same database
    monkeypatch.setenv("ORDERSIGHT_DB_URL", world.services.settings.db_url)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["feedback", "--json"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert [json.loads(line) for line in out.stdout.splitlines()] == summary
