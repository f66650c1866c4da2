"""The repository against real databases: SQLite always, PostgreSQL when the local server runs.

The in-memory fake must behave the same, so the same assertions run on it too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, MetaData, Table, create_engine, insert, text

from ordersight.storage import (
    InMemoryRepository,
    NotFound,
    Recommendation,
    SqlRepository,
    decisions,
)
from tests.conftest import port_open

PG_ADMIN = os.environ.get(
    "ORDERSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not port_open("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"ordersight_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def repo(request: pytest.FixtureRequest, tmp_path):
    if request.param == "sqlite":
        return SqlRepository.from_url(f"sqlite:///{tmp_path / 'os.db'}")
    if request.param == "memory":
        return InMemoryRepository()
    return SqlRepository.from_url(request.getfixturevalue("pg_url"))


def _decision(order_id: str, action: str, minutes: int) -> dict:
    return {
        "order_id": order_id,
        "channel": "jd",
        "action": action,
        "risk": 0.8,
        "result": {"order_id": order_id, "issues": [{"code": "ADDR_TYPO"}]},
        "order": {"order_id": order_id},
        "rules_version": "abc1234",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
    }


def test_review_queue_newest_first_and_status(repo) -> None:
    repo.save_decisions(
        [_decision("A", "review", 1), _decision("B", "hold", 5), _decision("C", "pass", 9)]
    )
    queue = repo.list_decisions(["review", "hold"])
    assert [d["order_id"] for d in queue] == ["B", "A"]
    assert queue[0]["result"]["issues"][0]["code"] == "ADDR_TYPO"
    repo.set_decision_status("B", "resolved")
    assert [d["order_id"] for d in repo.list_decisions(["review", "hold"])] == ["A"]
    with pytest.raises(NotFound):
        repo.get_decision("nope")


def test_an_order_scored_again_is_one_decision(repo) -> None:
    """A retry or a queue redelivery scores an order again: its open decision takes the new
    result and keeps its place in the queue; one a person has closed stays closed."""
    repo.save_decisions([_decision("A", "review", 1), _decision("B", "hold", 2)])
    repo.set_decision_status("B", "resolved")
    again = {**_decision("A", "hold", 7), "risk": 0.95}
    repo.save_decisions(
        [
            again,
            _decision("B", "review", 8),
            _decision("C", "review", 9),
            _decision("C", "hold", 10),
        ]
    )
    queue = repo.list_decisions(["review", "hold"])
    assert [(d["order_id"], d["action"]) for d in queue] == [("C", "hold"), ("A", "hold")]
    assert (
        queue[1]["risk"] == 0.95 and queue[1]["created_at"] == _decision("A", "", 1)["created_at"]
    )
    closed = repo.list_decisions(["review", "hold"], status="resolved")
    assert [(d["order_id"], d["action"]) for d in closed] == [("B", "hold")]


def test_decisions_of_many_orders_is_each_ones_latest(repo) -> None:
    repo.save_decisions([_decision(f"O{i}", "review", i) for i in range(1_200)])
    repo.save_decisions([{**_decision("O7", "hold", 2_000), "risk": 0.99}])
    wanted = {f"O{i}" for i in range(0, 1_200, 2)} | {"O7", "NEVER-SCORED"}
    found = repo.decisions_of(wanted)
    assert set(found) == wanted - {"NEVER-SCORED"}  # past one IN list's length, unknowns left out
    assert (found["O7"]["action"], found["O7"]["risk"]) == ("hold", 0.99)
    assert found["O8"]["result"] == {"order_id": "O8", "issues": [{"code": "ADDR_TYPO"}]}
    assert repo.decisions_of([]) == {}


def test_an_order_that_passes_when_scored_again_closes_its_open_decision(repo) -> None:
    """Corrected and sent again, the order passes: its open decision is superseded by the new
    result; one a person closed stays closed, and a passing order is stored nowhere else."""
    repo.save_decisions(
        [_decision("A", "review", 1), _decision("B", "hold", 2), _decision("C", "review", 3)]
    )
    repo.set_decision_status("B", "resolved")
    assert repo.open_decisions(["A", "B", "C", "D"]) == {"A", "C"}
    assert repo.open_decisions([]) == set()
    passing = [{**_decision(oid, "pass", 9), "risk": 0.1} for oid in ("A", "B", "C", "D")]
    repo.save_decisions(passing)  # two decisions superseded in one statement
    assert repo.list_decisions(["review", "hold"]) == []
    assert repo.open_decisions(["A", "B", "C", "D"]) == set()
    superseded = repo.get_decision("A")
    assert (superseded["status"], superseded["action"], superseded["risk"]) == (
        "superseded",
        "pass",
        0.1,
    )
    assert repo.get_decision("B")["status"] == "resolved"
    with pytest.raises(NotFound):
        repo.get_decision("D")
    repo.save_decisions([_decision("A", "hold", 12), _decision("C", "hold", 13)])  # wrong again
    reopened = [(d["order_id"], d["action"]) for d in repo.list_decisions(["hold"])]
    assert reopened == [("C", "hold"), ("A", "hold")]


def test_feedback_roundtrip(repo) -> None:
    fid = repo.save_feedback(
        {
            "order_id": "A",
            "type": "address",
            "code": "ADDR_TYPO",
            "label": "true_issue",
            "corrected": {"city": "杭州市"},
            "user": "ana",
        }
    )
    rows = repo.list_feedback("A")
    assert len(rows) == 1 and rows[0]["id"] == fid
    assert rows[0]["corrected"] == {"city": "杭州市"} and rows[0]["user"] == "ana"
    assert repo.list_feedback("B") == []


def test_recommendations_decide_and_replace(repo) -> None:
    recs = [
        Recommendation(f"R{i}", "SKU-1", "WH-SH", "WH-BJ", 10 * i, "hot", float(i))
        for i in (1, 2, 3)
    ]
    repo.replace_recommendations(recs)
    assert [r["rec_id"] for r in repo.list_recommendations("pending")] == ["R3", "R2", "R1"]
    row = repo.decide_recommendation("R2", "approve", "ana", 15, "trimmed")
    assert (row["status"], row["qty"], row["original_qty"], row["decided_by"]) == (
        "approved",
        15,
        20,
        "ana",
    )
    repo.replace_recommendations([Recommendation("R9", "SKU-2", "WH-SH", "WH-GZ", 5, "x", 1.0)])
    assert {r["rec_id"] for r in repo.list_recommendations()} == {"R2", "R9"}  # history kept
    with pytest.raises(NotFound):
        repo.decide_recommendation("R1", "reject", "ana", None, None)


def _big_decisions(n: int) -> list[dict]:
    rows = [_decision(f"O-{i}", "review", i) for i in range(n)]
    for row in rows:
        row["order"]["note"] = "x" * 3_000  # ~4 KB a row: 1,500 rows fill SQLite's 1,000 pages
    return rows


def test_sqlite_log_is_copied_only_by_a_checkpoint_off_the_order_path(tmp_path) -> None:
    db = tmp_path / "os.db"
    repo = SqlRepository.from_url(f"sqlite:///{db}", manual_checkpoints=True)
    base = db.stat().st_size
    repo.save_decisions(_big_decisions(1_500))
    wal = db.with_name("os.db-wal")
    assert wal.stat().st_size > 4_000_000  # no commit copied the log into the database
    assert db.stat().st_size == base
    repo.checkpoint()
    assert db.stat().st_size > base + 4_000_000
    assert (
        len(SqlRepository.from_url(f"sqlite:///{db}").list_decisions(["review"], limit=2_000))
        == 1_500
    )


def test_by_default_sqlite_copies_its_log_itself(tmp_path) -> None:
    db = tmp_path / "os.db"
    repo = SqlRepository.from_url(f"sqlite:///{db}")
    base = db.stat().st_size
    repo.save_decisions(_big_decisions(1_500))
    assert db.stat().st_size > base + 4_000_000  # the CLI and notebooks need no checkpoint loop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_url")


def test_a_database_from_before_model_inputs_gets_the_column_and_keeps_its_rows(db_url) -> None:
    """A release adds ``decisions.model_inputs``; the database an older one created keeps its
    decisions and stores the new column's values from then on (empty on the old rows)."""
    before = Table(
        "decisions",
        MetaData(),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in decisions.columns
            if c.name != "model_inputs"
        ),
    )
    old = create_engine(db_url)
    before.create(old)
    with old.begin() as conn:
        conn.execute(insert(before), [{**_decision("old", "hold", 0), "status": "open"}])
    old.dispose()
    repo = SqlRepository.from_url(db_url)
    inputs = {"price": {"version": "3", "features": {"unit_over_cost_min": 0.5, "n_lines": None}}}
    repo.save_decisions([{**_decision("new", "review", 1), "model_inputs": inputs}])
    stored = repo.decisions_of(["old", "new"])
    assert stored["old"]["action"] == "hold" and stored["old"]["model_inputs"] is None
    assert stored["new"]["model_inputs"] == inputs
    SqlRepository.from_url(db_url)  # opened again: nothing left to add
