"""Seed data for the planner / review API and page tests: real warehouses (real cities, adcodes
and coordinates), a small plan with forecast details, and scored orders waiting for review.

Shared by tests/integration and tests/e2e so both tiers exercise the same world.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI

from ordersight.schema import (
    Evidence,
    Issue,
    Order,
    OrderAddress,
    OrderLine,
    ParsedAddress,
    ScoreResult,
    Suggestion,
)
from ordersight.settings import Settings
from ordersight.storage import Recommendation, SqlRepository
from serving.app import create_app
from serving.recording import decision_row
from serving.services import Services
from serving.state import ReferenceHolder

WAREHOUSES = pd.DataFrame(
    [
        ("WH-SH", "上海青浦仓", "310118", 121.12, 31.15, 400_000),
        ("WH-BJ", "北京大兴仓", "110115", 116.34, 39.73, 350_000),
        ("WH-GZ", "广州白云仓", "440111", 113.27, 23.16, 300_000),
        ("WH-CD", "成都双流仓", "510116", 103.92, 30.57, 200_000),
        ("WH-WH", "武汉东西湖仓", "420112", 114.14, 30.62, 200_000),
        ("WH-XA", "西安未央仓", "610112", 108.94, 34.29, 150_000),
    ],
    columns=["warehouse_id", "name", "adcode", "lon", "lat", "capacity_units"],
)
CATALOG = pd.DataFrame(
    [
        ("MILK-A2-S3-900", "a2 三段奶粉 900g", "infant_formula", 298.0, 180.0),
        ("MILK-FEIHE-S2-800", "飞鹤 二段 800g", "infant_formula", 268.0, 150.0),
        ("AC-GREE-1P5", "格力 1.5匹 空调", "appliance", 3299.0, 2500.0),
        ("SERUM-EL-50", "精华液 50ml", "beauty", 760.0, 300.0),
        ("NUTS-MIX-750", "每日坚果 750g", "food", 129.0, 60.0),
        ("PHONE-X-256", "手机 X 256G", "3c", 5999.0, 4800.0),
    ],
    columns=["sku", "name", "category", "list_price", "cost"],
)
# (rec_id, sku, from, to, qty, expected_gain, hot)
PLAN = [
    ("R-001", "MILK-A2-S3-900", "WH-SH", "WH-CD", 420, 1830.5, True),
    ("R-002", "SERUM-EL-50", "WH-SH", "WH-BJ", 260, 1210.0, True),
    ("R-003", "AC-GREE-1P5", "WH-GZ", "WH-WH", 90, 940.2, False),
    ("R-004", "MILK-FEIHE-S2-800", "WH-BJ", "WH-XA", 150, 610.7, False),
    ("R-005", "NUTS-MIX-750", "WH-SH", "WH-GZ", 300, 455.0, True),
    ("R-006", "PHONE-X-256", "WH-GZ", "WH-CD", 40, 380.9, False),
    ("R-007", "MILK-A2-S3-900", "WH-SH", "WH-WH", 200, 300.1, False),
]
TODAY = date(2025, 10, 25)


def write_reference(directory: Path, seed: int = 7) -> None:
    """catalog / warehouses / stock CSVs (CONTRACT §4): every SKU stocked in every warehouse."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    CATALOG.to_csv(directory / "catalog.csv", index=False)
    WAREHOUSES.to_csv(directory / "warehouses.csv", index=False)
    stock = pd.DataFrame(
        [
            (w, s, int(rng.integers(400, 3000)), int(rng.integers(0, 50)), 0)
            for w in WAREHOUSES["warehouse_id"]
            for s in CATALOG["sku"]
        ],
        columns=["warehouse_id", "sku", "on_hand", "reserved", "in_transit"],
    )
    stock.to_csv(directory / "stock.csv", index=False)


def _details(rng: np.random.Generator, qty: int, hot: bool, to_name: str) -> dict:
    """What the planner chart reads: 90 days of history and a 14-day quantile forecast."""
    days = np.arange(90)
    level = qty / 14 * (0.7 if hot else 1.0)
    weekly = 1 + 0.25 * np.sin(2 * np.pi * days / 7)
    history = rng.poisson(level * weekly).astype(int)
    start = TODAY - timedelta(days=90)
    uplift = 1.6 if hot else 1.0
    q50 = [level * uplift * (1 + 0.25 * np.sin(2 * np.pi * (90 + h) / 7)) for h in range(14)]
    return {
        "history": [
            {"date": (start + timedelta(days=int(d))).isoformat(), "qty": int(q)}
            for d, q in zip(days, history, strict=True)
        ],
        "forecast": [
            {
                "date": (TODAY + timedelta(days=h)).isoformat(),
                "q10": round(0.6 * m, 2),
                "q50": round(m, 2),
                "q90": round(1.5 * m, 2),
            }
            for h, m in enumerate(q50)
        ],
        "on_hand_from": int(rng.integers(1500, 3000)),
        "on_hand_to": int(rng.integers(0, 200)),
        "forecast_total_q50": round(float(sum(q50)), 1),
        "warehouse_to_name": to_name,
        "hot_reason": "forecast uplift ×1.6 vs 8-week baseline" if hot else None,
    }


def make_plan(seed: int = 11) -> list[Recommendation]:
    rng = np.random.default_rng(seed)
    names = dict(zip(WAREHOUSES["warehouse_id"], WAREHOUSES["name"], strict=True))
    categories = dict(zip(CATALOG["sku"], CATALOG["category"], strict=True))
    return [
        Recommendation(
            rec_id=rec_id,
            sku=sku,
            category=categories[sku],
            from_warehouse=src,
            to_warehouse=dst,
            qty=qty,
            reason=f"{names[dst]} covers the buyers of this SKU; forecast demand exceeds stock",
            expected_gain=gain,
            is_hot=hot,
            details=_details(rng, qty, hot, names[dst]),
        )
        for rec_id, sku, src, dst, qty, gain, hot in PLAN
    ]


def seed_order(order_id: str, raw: str, created: datetime, sku: str, price: float) -> Order:
    """A two-unit order of ``sku`` at ``price`` to the address ``raw`` (receiver 张三)."""
    return Order(
        order_id=order_id,
        channel="jd",
        created_at=created,
        address=OrderAddress(raw=raw, receiver="张三", phone="13800138000"),
        lines=[OrderLine(sku=sku, qty=2, unit_price=price, list_price=298.0)],
    )


def scored_orders() -> list[tuple[Order, ScoreResult]]:
    """Three queued orders: an address conflict with a suggestion (newest), a price hold, and an
    older address review."""
    base = datetime(2025, 11, 11, 0, 3, tzinfo=UTC)
    conflict = Issue(
        type="address",
        code="ADDR_REGION_CONFLICT",
        score=0.91,
        scored_by="model",
        message="西湖区 is not in 宁波市",
        suggestion=Suggestion(field="address.city", value="杭州市"),
        evidence=[
            Evidence(feature="district_city_mismatch", contribution=1.8),
            Evidence(feature="parse_confidence", contribution=-0.3),
        ],
    )
    price = Issue(
        type="price",
        code="PRICE_BELOW_FLOOR",
        score=0.88,
        scored_by="rules",
        message="unit price 12.00 is 4% of list price 298.00",
    )
    phone = Issue(
        type="address",
        code="ADDR_BAD_PHONE",
        score=0.7,
        scored_by="rules",
        message="phone 1380013 is not a valid mainland number",
    )
    parsed = ParsedAddress(
        province="浙江省", city="杭州市", district="西湖区", adcode="330106", confidence=0.93
    )
    rows = [
        (
            seed_order("JD-1", "浙江宁波市西湖区文三路90号", base, "MILK-A2-S3-900", 268.0),
            [conflict],
        ),
        (
            seed_order("JD-2", "上海市浦东新区世纪大道100号", base - timedelta(hours=1), "X", 12.0),
            [price],
        ),
        (
            seed_order("JD-3", "北京市朝阳区建国路88号", base - timedelta(hours=2), "X", 90.0),
            [phone],
        ),
    ]
    out = []
    for order, issues in rows:
        action = "hold" if issues[0].type == "price" else "review"
        result = ScoreResult(
            order_id=order.order_id,
            action=action,
            risk=max(i.score for i in issues),
            issues=issues,
            address=parsed if order.order_id == "JD-1" else None,
            rules_version="test",
        )
        out.append((order, result))
    return out


def seed_decisions(repo: SqlRepository) -> None:
    repo.save_decisions([decision_row(o, r, o.created_at) for o, r in scored_orders()])


@dataclass
class World:
    services: Services
    repo: SqlRepository
    reference_dir: Path


def build_world(tmp: Path, api_keys: dict[str, str] | None = None) -> World:
    """Services over a real SQLite file and real reference CSVs, seeded with a plan and a queue."""
    ref_dir = tmp / "reference"
    write_reference(ref_dir)
    repo = SqlRepository.from_url(f"sqlite:///{tmp / 'ordersight.db'}")
    repo.replace_recommendations(make_plan())
    seed_decisions(repo)
    settings = Settings(
        home=tmp, reference_dir=ref_dir, db_url=f"sqlite:///{tmp / 'ordersight.db'}"
    )
    services = Services(
        settings=settings,
        repo=repo,
        api_keys=api_keys or {},
        reference=ReferenceHolder(ref_dir),
    )
    return World(services, repo, ref_dir)


def make_app(services: Services) -> FastAPI:
    """The real service app over the seeded services (its lifespan keeps what it was given)."""
    return create_app(services=services)
