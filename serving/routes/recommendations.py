"""Pre-positioning recommendations for planners: list, inspect, decide, export, warehouse totals.

Every decision is attributed to the caller (`UserDep`) and kept with its time, so the transfer
list a WMS takes can always be traced back to the planner who approved it.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from ordersight.reference import ReferenceData
from ordersight.storage import AlreadyDecided, NotFound
from serving.deps import ServicesDep, UserDep
from serving.errors import ApiError
from serving.services import Services

router = APIRouter(tags=["recommendations"])

Status = Literal["pending", "approved", "rejected", "all"]
EXPORT_COLUMNS = (
    "rec_id",
    "sku",
    "from_warehouse",
    "to_warehouse",
    "qty",
    "decided_by",
    "decided_at",
    "note",
)
PLANNED_STATUSES = ("approved", "pending")


class RecommendationOut(BaseModel):
    rec_id: str
    sku: str
    category: str | None = None
    from_warehouse: str
    to_warehouse: str
    qty: int
    original_qty: int
    reason: str
    expected_gain: float
    is_hot: bool
    status: str
    note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime


class RecommendationDetail(RecommendationOut):
    details: dict[str, Any] = Field(default_factory=dict)


class RecommendationList(BaseModel):
    items: list[RecommendationOut]
    total: int


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    qty: int | None = Field(default=None, ge=0, le=10_000_000)
    note: str | None = Field(default=None, max_length=2000)


class BulkDecisionIn(BaseModel):
    rec_ids: list[str] = Field(min_length=1, max_length=5000)
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=2000)


class BulkDecisionOut(BaseModel):
    decided: list[RecommendationOut]
    already_decided: list[str]


class WarehousePlanRow(BaseModel):
    warehouse_id: str
    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    capacity_units: int | None = None
    on_hand_now: int
    inbound: int
    outbound: int
    on_hand_after: int


class WarehousePlan(BaseModel):
    counted_statuses: list[str]
    warehouses: list[WarehousePlanRow]


def _matches(
    row: dict[str, Any], sku: str | None, category: str | None, warehouse: str | None, hot: bool
) -> bool:
    """Filters a planner types: SKU as a substring, the rest exact; warehouse on either end."""
    if sku and sku.lower() not in row["sku"].lower():
        return False
    if category and (row.get("category") or "") != category:
        return False
    if warehouse and warehouse not in (row["from_warehouse"], row["to_warehouse"]):
        return False
    return not (hot and not row.get("is_hot"))


def _get(services: Services, rec_id: str) -> dict[str, Any]:
    try:
        return services.repo.get_recommendation(rec_id)
    except NotFound:
        raise ApiError(404, "not_found", f"recommendation {rec_id!r} not found") from None


@router.get("/v1/recommendations", response_model=RecommendationList)
def list_recommendations(
    services: ServicesDep,
    _user: UserDep,
    status: Status = "pending",
    sku: str | None = Query(default=None, max_length=128),
    category: str | None = Query(default=None, max_length=64),
    warehouse: str | None = Query(default=None, max_length=64),
    hot: bool = False,
) -> RecommendationList:
    rows = services.repo.list_recommendations(None if status == "all" else status)
    items = [RecommendationOut(**r) for r in rows if _matches(r, sku, category, warehouse, hot)]
    return RecommendationList(items=items, total=len(items))


@router.get("/v1/recommendations/export.csv", response_class=Response)
def export_csv(services: ServicesDep, _user: UserDep, status: Status = "approved") -> Response:
    """The transfer list a WMS would import: one line per move, with who approved it and when."""
    rows = services.repo.list_recommendations(None if status == "all" else status)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: (r["from_warehouse"], r["to_warehouse"], r["sku"])):
        decided_at = row.get("decided_at")
        writer.writerow({**row, "decided_at": decided_at.isoformat() if decided_at else ""})
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="transfers-{status}-{stamp}.csv"'},
    )


@router.get("/v1/recommendations/{rec_id}", response_model=RecommendationDetail)
def get_recommendation(rec_id: str, services: ServicesDep, _user: UserDep) -> RecommendationDetail:
    row = _get(services, rec_id)
    return RecommendationDetail(**{**row, "details": row.get("details") or {}})


@router.post("/v1/recommendations/decisions", response_model=BulkDecisionOut)
def decide_many(body: BulkDecisionIn, services: ServicesDep, user: UserDep) -> BulkDecisionOut:
    """Bulk approve/reject; unknown ids fail the whole call before anything is written."""
    wanted = list(dict.fromkeys(body.rec_ids))
    known = {r["rec_id"] for r in services.repo.list_recommendations()}
    missing = [rec_id for rec_id in wanted if rec_id not in known]
    if missing:
        raise ApiError(404, "not_found", f"{len(missing)} unknown recommendation(s)", missing)
    decided, skipped = [], []
    for rec_id in wanted:
        try:
            done = services.repo.decide_recommendation(rec_id, body.decision, user, None, body.note)
        except AlreadyDecided:
            skipped.append(rec_id)
            continue
        decided.append(RecommendationOut(**done))
    return BulkDecisionOut(decided=decided, already_decided=skipped)


@router.post("/v1/recommendations/{rec_id}/decision", response_model=RecommendationOut)
def decide(
    rec_id: str, body: DecisionIn, services: ServicesDep, user: UserDep
) -> RecommendationOut:
    _get(services, rec_id)
    try:
        done = services.repo.decide_recommendation(rec_id, body.decision, user, body.qty, body.note)
    except AlreadyDecided:
        row = _get(services, rec_id)
        message = f"recommendation {rec_id!r} was already {row['status']} by {row['decided_by']}"
        raise ApiError(409, "already_decided", message) from None
    return RecommendationOut(**done)


def warehouse_totals(
    warehouses: pd.DataFrame | None, stock: pd.DataFrame | None, moves: Iterable[dict[str, Any]]
) -> list[WarehousePlanRow]:
    """Units on hand per warehouse now and after the given moves (outbound leaves, inbound lands).

    Warehouses known only from the moves still appear, so the view works without reference data.
    """
    now: dict[str, int] = defaultdict(int)
    if stock is not None and not stock.empty:
        for wid, units in stock.groupby("warehouse_id")["on_hand"].sum().items():
            now[str(wid)] = int(units)
    inbound: dict[str, int] = defaultdict(int)
    outbound: dict[str, int] = defaultdict(int)
    for move in moves:
        outbound[move["from_warehouse"]] += int(move["qty"])
        inbound[move["to_warehouse"]] += int(move["qty"])
    info: dict[str, dict[str, Any]] = {}
    if warehouses is not None:
        info = {str(r["warehouse_id"]): r for r in warehouses.to_dict("records")}
    ids = sorted(set(info) | set(now) | set(inbound) | set(outbound))
    out = []
    for wid in ids:
        meta = info.get(wid, {})
        out.append(
            WarehousePlanRow(
                warehouse_id=wid,
                name=meta.get("name"),
                lon=meta.get("lon"),
                lat=meta.get("lat"),
                capacity_units=meta.get("capacity_units"),
                on_hand_now=now[wid],
                inbound=inbound[wid],
                outbound=outbound[wid],
                on_hand_after=now[wid] + inbound[wid] - outbound[wid],
            )
        )
    return out


def _reference(services: Services) -> ReferenceData | None:
    """The live reference data: the services' own holder, else the scorer's (the same object)."""
    holder = services.reference or getattr(services.scorer, "reference", None)
    return holder.data if holder is not None else None


@router.get("/v1/warehouses/plan", response_model=WarehousePlan)
def warehouse_plan(services: ServicesDep, _user: UserDep) -> WarehousePlan:
    """Stock per warehouse now and after the approved and still pending moves."""
    moves = [m for s in PLANNED_STATUSES for m in services.repo.list_recommendations(s)]
    ref = _reference(services)
    rows = warehouse_totals(
        ref.warehouses if ref is not None else None, ref.stock if ref is not None else None, moves
    )
    return WarehousePlan(counted_statuses=list(PLANNED_STATUSES), warehouses=rows)
