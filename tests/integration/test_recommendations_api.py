"""Recommendation endpoints against a real SQLite repository and real reference CSVs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ordersight.storage import AlreadyDecided, InMemoryRepository, NotFound, SqlRepository
from tests.ui_seed import PLAN, World, build_world, make_app, make_plan

ALICE = {"X-API-Key": "key-a"}
BOB = {"X-API-Key": "key-b"}


@pytest.fixture
def world(tmp_path) -> World:
    return build_world(tmp_path, api_keys={"key-a": "alice", "key-b": "bob"})


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(make_app(world.services)) as c:
        yield c


def ids(response) -> list[str]:
    return [r["rec_id"] for r in response.json()["items"]]


def test_lists_pending_by_expected_gain_and_filters(client: TestClient) -> None:
    listed = client.get("/v1/recommendations", headers=ALICE).json()["items"]
    assert [r["rec_id"] for r in listed] == [
        p[0] for p in sorted(PLAN, key=lambda p: p[5], reverse=True)
    ]
    milk = ids(client.get("/v1/recommendations?sku=milk", headers=ALICE))
    assert milk == [p[0] for p in PLAN if "MILK" in p[1]]
    hot = ids(client.get("/v1/recommendations?hot=true", headers=ALICE))
    assert hot == [p[0] for p in PLAN if p[6]]
    at_cd = ids(client.get("/v1/recommendations?warehouse=WH-CD", headers=ALICE))
    assert set(at_cd) == {p[0] for p in PLAN if "WH-CD" in (p[2], p[3])}
    formula = client.get("/v1/recommendations?category=infant_formula", headers=ALICE).json()
    assert {r["category"] for r in formula["items"]} == {"infant_formula"}
    assert formula["total"] == len(formula["items"]) == 3


def test_auth_is_required_when_keys_are_configured(client: TestClient) -> None:
    response = client.get("/v1/recommendations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_detail_carries_the_chart_series(client: TestClient) -> None:
    rec = client.get("/v1/recommendations/R-001", headers=ALICE).json()
    details = rec["details"]
    assert len(details["history"]) == 90 and len(details["forecast"]) == 14
    assert all(f["q10"] <= f["q50"] <= f["q90"] for f in details["forecast"])
    missing = client.get("/v1/recommendations/R-404", headers=ALICE)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_edit_and_approve_is_stored_with_who_and_when(client: TestClient, world: World) -> None:
    body = {"decision": "approve", "qty": 350, "note": "成都仓容量有限"}
    response = client.post("/v1/recommendations/R-001/decision", json=body, headers=ALICE)
    assert response.status_code == 200, response.text
    stored = world.repo.get_recommendation("R-001")
    assert (stored["status"], stored["qty"], stored["original_qty"]) == ("approved", 350, 420)
    assert (stored["decided_by"], stored["note"]) == ("alice", "成都仓容量有限")
    assert stored["decided_at"] is not None
    again = client.post("/v1/recommendations/R-001/decision", json=body, headers=BOB)
    assert again.status_code == 409
    assert world.repo.get_recommendation("R-001")["decided_by"] == "alice"
    assert "R-001" not in ids(client.get("/v1/recommendations", headers=ALICE))


def test_reject_keeps_quantity_and_bad_bodies_are_422(client: TestClient, world: World) -> None:
    bad = client.post("/v1/recommendations/R-002/decision", json={"decision": "x"}, headers=BOB)
    assert bad.status_code == 422
    negative = {"decision": "approve", "qty": -1}
    assert (
        client.post("/v1/recommendations/R-002/decision", json=negative, headers=BOB).status_code
        == 422
    )
    unknown = client.post(
        "/v1/recommendations/R-404/decision", json={"decision": "reject"}, headers=BOB
    )
    assert unknown.status_code == 404
    ok = client.post("/v1/recommendations/R-002/decision", json={"decision": "reject"}, headers=BOB)
    assert ok.json()["status"] == "rejected"
    assert world.repo.get_recommendation("R-002")["qty"] == 260


def test_bulk_decides_pending_and_reports_the_rest(client: TestClient, world: World) -> None:
    client.post("/v1/recommendations/R-003/decision", json={"decision": "reject"}, headers=BOB)
    unknown = {"rec_ids": ["R-004", "R-999"], "decision": "approve"}
    response = client.post("/v1/recommendations/decisions", json=unknown, headers=ALICE)
    assert response.status_code == 404 and response.json()["error"]["details"] == ["R-999"]
    assert world.repo.get_recommendation("R-004")["status"] == "pending"
    body = {"rec_ids": ["R-003", "R-004", "R-005"], "decision": "approve"}
    out = client.post("/v1/recommendations/decisions", json=body, headers=ALICE).json()
    assert sorted(r["rec_id"] for r in out["decided"]) == ["R-004", "R-005"]
    assert out["already_decided"] == ["R-003"]
    approved = world.repo.list_recommendations("approved")
    assert {r["rec_id"] for r in approved} == {"R-004", "R-005"}
    assert {r["decided_by"] for r in approved} == {"alice"}
    assert world.repo.get_recommendation("R-003")["status"] == "rejected"


def test_export_is_the_approved_transfer_list(client: TestClient) -> None:
    client.post(
        "/v1/recommendations/R-006/decision",
        json={"decision": "approve", "qty": 25, "note": "half, phone launch"},
        headers=ALICE,
    )
    client.post("/v1/recommendations/R-007/decision", json={"decision": "reject"}, headers=BOB)
    response = client.get("/v1/recommendations/export.csv", headers=ALICE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "rec_id", "sku", "from_warehouse", "to_warehouse", "qty", "decided_by", "decided_at", "note"
    ]  # fmt: skip
    assert [(r["rec_id"], r["qty"], r["decided_by"], r["note"]) for r in rows] == [
        ("R-006", "25", "alice", "half, phone launch")
    ]
    assert pd.Timestamp(rows[0]["decided_at"]).tzinfo is not None


def test_warehouse_plan_moves_stock_and_conserves_units(client: TestClient, world: World) -> None:
    client.post("/v1/recommendations/R-001/decision", json={"decision": "reject"}, headers=ALICE)
    plan = client.get("/v1/warehouses/plan", headers=ALICE).json()
    rows = {w["warehouse_id"]: w for w in plan["warehouses"]}
    stock = pd.read_csv(world.reference_dir / "stock.csv")
    assert set(rows) == set(stock["warehouse_id"])
    for wid, units in stock.groupby("warehouse_id")["on_hand"].sum().items():
        assert rows[wid]["on_hand_now"] == units
    counted = [p for p in PLAN if p[0] != "R-001"]  # rejected moves are not in the plan
    for wid, row in rows.items():
        delta = sum(p[4] for p in counted if p[3] == wid) - sum(
            p[4] for p in counted if p[2] == wid
        )
        assert row["on_hand_after"] - row["on_hand_now"] == delta
    assert sum(r["on_hand_after"] for r in rows.values()) == stock["on_hand"].sum()
    assert rows["WH-CD"]["lon"] == pytest.approx(103.92) and rows["WH-CD"]["name"] == "成都双流仓"


@pytest.mark.parametrize("kind", ["sql", "memory"])
def test_repository_refuses_a_second_decision(kind: str, tmp_path) -> None:
    """Two planners deciding at once: the store itself refuses the later one."""
    repo = (
        SqlRepository.from_url(f"sqlite:///{tmp_path / 'r.db'}")
        if kind == "sql"
        else InMemoryRepository()
    )
    repo.replace_recommendations(make_plan()[:2])
    repo.decide_recommendation("R-001", "approve", "alice", 10, None)
    with pytest.raises(AlreadyDecided):
        repo.decide_recommendation("R-001", "reject", "bob", None, "late")
    with pytest.raises(NotFound):
        repo.decide_recommendation("R-404", "reject", "bob", None, None)
    stored = repo.get_recommendation("R-001")
    assert (stored["status"], stored["qty"], stored["decided_by"]) == ("approved", 10, "alice")
