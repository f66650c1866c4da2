"""Persistence behind a small repository interface: SQLAlchemy for real, a dict-backed fake for
unit tests. Holds scoring decisions, reviewer feedback and pre-positioning recommendations."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out on every backend (SQLite drops the zone on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


metadata = MetaData()

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(128), index=True, nullable=False),
    Column("channel", String(64)),
    Column("action", String(16), index=True, nullable=False),
    Column("risk", Float, nullable=False),
    Column("result", JSON, nullable=False),
    Column("order", JSON),
    # what the order models read (type → version, features): verdicts become training rows
    Column("model_inputs", JSON),
    Column("rules_version", String(32)),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(128), index=True, nullable=False),
    Column("type", String(16), nullable=False),
    Column("code", String(64)),
    Column("label", String(16), nullable=False),
    Column("corrected", JSON),
    Column("user", String(128)),
    Column("created_at", UtcDateTime(), nullable=False),
)

recommendations = Table(
    "recommendations",
    metadata,
    Column("rec_id", String(64), primary_key=True),
    Column("sku", String(128), index=True, nullable=False),
    Column("category", String(64)),
    Column("from_warehouse", String(64), nullable=False),
    Column("to_warehouse", String(64), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("original_qty", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("expected_gain", Float, nullable=False),
    Column("is_hot", Integer, nullable=False, default=0),
    Column("status", String(16), index=True, nullable=False, default="pending"),
    Column("note", Text),
    Column("decided_by", String(128)),
    Column("decided_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("details", JSON),
)

REC_STATUSES = ("pending", "approved", "rejected")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Recommendation:
    rec_id: str
    sku: str
    from_warehouse: str
    to_warehouse: str
    qty: int
    reason: str
    expected_gain: float
    category: str | None = None
    is_hot: bool = False
    original_qty: int | None = None
    status: str = "pending"
    note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime = field(default_factory=now)
    details: dict[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["original_qty"] = self.original_qty if self.original_qty is not None else self.qty
        row["is_hot"] = int(self.is_hot)
        return row


class NotFound(KeyError):
    """The record asked for does not exist."""


class AlreadyDecided(ValueError):
    """The recommendation was decided already (e.g. by another planner a moment ago)."""


class Repository(Protocol):
    def save_decisions(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store review / hold decisions, one per order: an order scored again (a retry, a queue
        redelivery) updates its open decision and keeps its place in the queue; one a person
        has closed stays closed. A row whose action is ``pass`` (the order was corrected and
        sent again) closes the order's open decision as ``superseded`` with that result, and is
        stored nowhere else; sent again with a problem, it is open once more. Within ``rows`` an
        order's last scoring counts."""
        ...

    def open_decisions(self, order_ids: Collection[str]) -> set[str]:
        """Which of ``order_ids`` have an open decision (none, nearly always)."""
        ...

    def checkpoint(self) -> None:
        """Move committed writes from the write-ahead log into the database file, where the
        store keeps one (see :meth:`SqlRepository.from_url`)."""
        ...

    def list_decisions(
        self, actions: Iterable[str], status: str = "open", limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def get_decision(self, order_id: str) -> dict[str, Any]: ...
    def decisions_of(self, order_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """Each of ``order_ids``' latest decision (orders without one are left out)."""
        ...

    def set_decision_status(self, order_id: str, status: str) -> None: ...
    def save_feedback(self, row: dict[str, Any]) -> int: ...
    def list_feedback(self, order_id: str | None = None) -> list[dict[str, Any]]: ...
    def replace_recommendations(self, recs: Sequence[Recommendation]) -> None: ...
    def list_recommendations(self, status: str | None = None) -> list[dict[str, Any]]: ...
    def get_recommendation(self, rec_id: str) -> dict[str, Any]: ...
    def decide_recommendation(
        self, rec_id: str, decision: str, user: str, qty: int | None, note: str | None
    ) -> dict[str, Any]:
        """Decide a pending recommendation; NotFound if unknown, AlreadyDecided if not pending."""
        ...


def _latest_per_order(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each order's last row (its latest scoring), in the order the orders first appear."""
    return {row["order_id"]: row for row in rows}


_IN_CHUNK = 500  # order ids per IN (...) list: well under every backend's parameter limit

# the status of an open decision whose order was scored again and passed; no person closed it,
# so a later scoring that needs one opens it again
SUPERSEDED = "superseded"
_RESCORABLE = ("open", SUPERSEDED)

# an order scored again: its decision takes the new result, keeping its arrival time (`or_`, not
# `in_`: an expanding IN cannot run as one statement for many rows)
_UPDATE_OPEN = update(decisions).where(
    decisions.c.order_id == bindparam("scored_order_id"),
    or_(*(decisions.c.status == status for status in _RESCORABLE)),
)


# built once: the order path stores decisions batch by batch, and building a statement (and its
# cache key) per call cost more than running it
_STORED = select(decisions.c.order_id, decisions.c.status).where(
    decisions.c.order_id.in_(bindparam("order_ids", expanding=True))
)
_INSERT = insert(decisions)


def _rescored(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as :data:`_UPDATE_OPEN`'s parameters: the SET clause is every column given; a
    passing result supersedes the decision, any other keeps or makes it open."""
    kept = ("order_id", "created_at")
    status = SUPERSEDED if row["action"] == "pass" else "open"
    return (
        {"scored_order_id": row["order_id"]}
        | {k: v for k, v in row.items() if k not in kept}
        | {"status": status}
    )


def _decided_status(decision: str) -> str:
    return {"approve": "approved", "reject": "rejected"}[decision]


def _sqlite_wal(dbapi_conn: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL: a commit appends to the log instead of syncing the whole
    database, so storing a decision costs tens of microseconds on the order path, not ~20 ms.
    Transactions stay atomic; only the last commits before a power cut may be lost."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _no_auto_checkpoint(dbapi_conn: Any, _record: Any) -> None:
    """SQLite copies the log into the database (and syncs it) inside the commit that fills 1,000
    pages: a 5–10 ms stall for whichever request stored that decision. The caller runs
    :meth:`SqlRepository.checkpoint` off the order path instead."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _add_new_columns(engine: Engine) -> None:
    """Columns a newer release added to a table an older one created (``create_all`` makes
    missing tables only): added empty, so a database kept across an upgrade keeps its rows.
    Only nullable columns are ever added this way."""
    found = inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            have = {c["name"] for c in found.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    name = engine.dialect.identifier_preparer.quote(column.name)
                    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")


class SqlRepository:
    """SQLAlchemy Core implementation; works on SQLite and PostgreSQL alike."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, manual_checkpoints: bool = False) -> SqlRepository:
        """``manual_checkpoints``: an SQLite log is copied into the database file only when
        :meth:`checkpoint` is called (the service does it from a thread, every few seconds)."""
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_engine(url, **kwargs)
        if url.startswith("sqlite") and ":memory:" not in url:
            event.listen(engine, "connect", _sqlite_wal)
            if manual_checkpoints:
                event.listen(engine, "connect", _no_auto_checkpoint)
        metadata.create_all(engine)
        _add_new_columns(engine)
        return cls(engine)

    def checkpoint(self) -> None:
        """A passive SQLite checkpoint: copies what no reader still needs, waits for no lock, and
        runs without the GIL (sqlite3 releases it), so a thread can do it beside the order path."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def save_decisions(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        latest = _latest_per_order(rows)
        with self.engine.begin() as conn:
            stored = conn.execute(_STORED, {"order_ids": list(latest)}).all()
            known = {order_id for order_id, _ in stored}
            still_open = {order_id for order_id, status in stored if status in _RESCORABLE}
            new = [
                {"status": "open", **r}
                for oid, r in latest.items()
                if oid not in known and r["action"] != "pass"
            ]
            if new:
                conn.execute(_INSERT, new)
            again = [_rescored(r) for oid, r in latest.items() if oid in still_open]
            if again:
                conn.execute(_UPDATE_OPEN, again)

    def open_decisions(self, order_ids: Collection[str]) -> set[str]:
        if not order_ids:
            return set()
        query = select(decisions.c.order_id).where(
            decisions.c.order_id.in_(list(order_ids)), decisions.c.status == "open"
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    def list_decisions(
        self, actions: Iterable[str], status: str = "open", limit: int = 100
    ) -> list[dict[str, Any]]:
        query = (
            select(decisions)
            .where(decisions.c.action.in_(list(actions)), decisions.c.status == status)
            .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def get_decision(self, order_id: str) -> dict[str, Any]:
        query = (
            select(decisions)
            .where(decisions.c.order_id == order_id)
            .order_by(decisions.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(order_id)
        return dict(row._mapping)

    def decisions_of(self, order_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(order_ids))
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _IN_CHUNK):
                query = (
                    select(decisions)
                    .where(decisions.c.order_id.in_(ids[start : start + _IN_CHUNK]))
                    .order_by(decisions.c.id)
                )
                out.update(_latest_per_order([dict(r._mapping) for r in conn.execute(query)]))
        return out

    def set_decision_status(self, order_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(decisions).where(decisions.c.order_id == order_id).values(status=status)
            )

    def save_feedback(self, row: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(feedback).values(created_at=now(), **row))
            return int(result.inserted_primary_key[0])

    def list_feedback(self, order_id: str | None = None) -> list[dict[str, Any]]:
        query = select(feedback).order_by(feedback.c.id)
        if order_id is not None:
            query = query.where(feedback.c.order_id == order_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def replace_recommendations(self, recs: Sequence[Recommendation]) -> None:
        """Swap the pending plan for a new one in one transaction; decided rows stay as history."""
        with self.engine.begin() as conn:
            conn.execute(recommendations.delete().where(recommendations.c.status == "pending"))
            if recs:
                conn.execute(insert(recommendations), [r.to_row() for r in recs])

    def list_recommendations(self, status: str | None = None) -> list[dict[str, Any]]:
        query = select(recommendations).order_by(recommendations.c.expected_gain.desc())
        if status is not None:
            query = query.where(recommendations.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def get_recommendation(self, rec_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(recommendations).where(recommendations.c.rec_id == rec_id)
            ).first()
        if row is None:
            raise NotFound(rec_id)
        return dict(row._mapping)

    def decide_recommendation(
        self, rec_id: str, decision: str, user: str, qty: int | None, note: str | None
    ) -> dict[str, Any]:
        self.get_recommendation(rec_id)
        values: dict[str, Any] = {
            "status": _decided_status(decision),
            "decided_by": user,
            "decided_at": now(),
            "note": note,
        }
        if qty is not None:
            values["qty"] = qty
        pending = (recommendations.c.rec_id == rec_id) & (recommendations.c.status == "pending")
        with self.engine.begin() as conn:
            # the status check sits in the UPDATE itself, so two planners cannot both decide
            changed = conn.execute(update(recommendations).where(pending).values(**values))
        if changed.rowcount == 0:
            raise AlreadyDecided(rec_id)
        return self.get_recommendation(rec_id)


class InMemoryRepository:
    """Dict-backed fake with the same behaviour, for fast unit tests of services."""

    def __init__(self) -> None:
        self.decisions: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.recs: dict[str, dict[str, Any]] = {}

    def checkpoint(self) -> None:
        """Nothing to copy: the rows live in memory only."""

    def save_decisions(self, rows: Sequence[dict[str, Any]]) -> None:
        for order_id, row in _latest_per_order(rows).items():
            stored = [d for d in self.decisions if d["order_id"] == order_id]
            if not stored and row["action"] != "pass":
                self.decisions.append({"id": len(self.decisions) + 1, "status": "open", **row})
            for d in stored:
                if d["status"] in _RESCORABLE:
                    changes = _rescored(row)
                    del changes["scored_order_id"]
                    d.update(changes)

    def open_decisions(self, order_ids: Collection[str]) -> set[str]:
        wanted = set(order_ids)
        return {d["order_id"] for d in self.decisions if d["status"] == "open"} & wanted

    def list_decisions(
        self, actions: Iterable[str], status: str = "open", limit: int = 100
    ) -> list[dict[str, Any]]:
        wanted = set(actions)
        rows = [d for d in self.decisions if d["action"] in wanted and d["status"] == status]
        return sorted(rows, key=lambda d: (d["created_at"], d["id"]), reverse=True)[:limit]

    def get_decision(self, order_id: str) -> dict[str, Any]:
        for row in reversed(self.decisions):
            if row["order_id"] == order_id:
                return row
        raise NotFound(order_id)

    def decisions_of(self, order_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        wanted = set(order_ids)
        return _latest_per_order([d for d in self.decisions if d["order_id"] in wanted])

    def set_decision_status(self, order_id: str, status: str) -> None:
        for row in self.decisions:
            if row["order_id"] == order_id:
                row["status"] = status

    def save_feedback(self, row: dict[str, Any]) -> int:
        self.feedback.append({"id": len(self.feedback) + 1, "created_at": now(), **row})
        return len(self.feedback)

    def list_feedback(self, order_id: str | None = None) -> list[dict[str, Any]]:
        return [f for f in self.feedback if order_id is None or f["order_id"] == order_id]

    def replace_recommendations(self, recs: Sequence[Recommendation]) -> None:
        self.recs = {k: v for k, v in self.recs.items() if v["status"] != "pending"}
        self.recs.update({r.rec_id: r.to_row() for r in recs})

    def list_recommendations(self, status: str | None = None) -> list[dict[str, Any]]:
        rows = [r for r in self.recs.values() if status is None or r["status"] == status]
        return sorted(rows, key=lambda r: r["expected_gain"], reverse=True)

    def get_recommendation(self, rec_id: str) -> dict[str, Any]:
        if rec_id not in self.recs:
            raise NotFound(rec_id)
        return self.recs[rec_id]

    def decide_recommendation(
        self, rec_id: str, decision: str, user: str, qty: int | None, note: str | None
    ) -> dict[str, Any]:
        row = self.get_recommendation(rec_id)
        if row["status"] != "pending":
            raise AlreadyDecided(rec_id)
        row.update(status=_decided_status(decision), decided_by=user, decided_at=now(), note=note)
        if qty is not None:
            row["qty"] = qty
        return row
