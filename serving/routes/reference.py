"""Reference-data updates: stock and catalog rows, validated whole before anything changes."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ordersight.reference import ReferenceFileError
from serving.deps import ServicesDep, UserDep
from serving.errors import ApiError

router = APIRouter(prefix="/v1/reference", tags=["reference"])


class RowsRequest(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=200_000)
    mode: Literal["upsert", "replace"] = "upsert"


def _update(services: Any, kind: Literal["stock", "catalog"], body: RowsRequest) -> dict[str, Any]:
    try:
        summary = services.scorer.reference.update(kind, body.rows, body.mode)
    except ReferenceFileError as exc:
        details = [{"row": p.row, "column": p.column, "message": p.message} for p in exc.problems]
        raise ApiError(422, "invalid_reference", str(exc), details) from exc
    return {"kind": kind, "mode": body.mode, **summary}


@router.put("/stock")
def put_stock(body: RowsRequest, services: ServicesDep, _: UserDep) -> dict[str, Any]:
    """Rows: warehouse_id, sku, on_hand, reserved, in_transit. `row` in errors is 2-based
    like a spreadsheet (row 1 = header), i.e. rows[row - 2]."""
    return _update(services, "stock", body)


@router.put("/catalog")
def put_catalog(body: RowsRequest, services: ServicesDep, _: UserDep) -> dict[str, Any]:
    """Rows: sku, name, category, list_price, cost, price_floor?, stage?, max_qty_per_order?"""
    return _update(services, "catalog", body)
