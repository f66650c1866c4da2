"""The demo-world generator: deterministic, labeled at the configured rates, adapters round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.address import parse_address
from features.address_parser import analyse
from features.address_text import SEPARATOR_CHARS
from features.address_towns import town_county
from ordersight.adapters import adapt, load_sku_map
from ordersight.codes import CODES, type_of
from ordersight.gazetteer import county_towns, functional_zones, load_gazetteer
from ordersight.reference import ReferenceData, read_csv
from ordersight.schema import KNOWN_CHANNELS, Order
from training.demo import DEFAULT_RATES, generate_world
from training.demo.labels import receiver_key

TINY = {"days": 40, "n_orders": 800, "progress": False}
# codes decided by an operator's rule file, not by the world
NOT_INJECTED = {"COMPLIANCE_RESTRICTED_REGION"}
INJECTED_TYPES = {"address", "stock", "price", "compliance", "duplicate"}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def labels(small_world: Path) -> pd.DataFrame:
    return pd.read_csv(small_world / "labels.csv")


@pytest.fixture(scope="module")
def orders(small_world: Path) -> list[Order]:
    with (small_world / "orders.jsonl").open(encoding="utf-8") as fh:
        return [Order.model_validate_json(line) for line in fh]


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    generate_world(tmp_path / "a", seed=5, **TINY)
    generate_world(tmp_path / "b", seed=5, **TINY)
    generate_world(tmp_path / "c", seed=6, **TINY)
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a.keys() == b.keys() and a == b
    assert a["orders.jsonl"] != c["orders.jsonl"] and a["history.csv"] != c["history.csv"]


def test_reference_files_load_and_meet_the_contract(small_world: Path) -> None:
    ref = ReferenceData.from_dir(small_world)
    catalog = ref.catalog
    assert len(catalog) >= 500 and len(ref.warehouses) >= 8
    assert (catalog["cost"] < catalog["price_floor"]).all()
    assert (catalog["price_floor"] < catalog["list_price"]).all()
    formula = catalog[catalog["category"] == "infant_formula"]
    assert set(formula["stage"]) == {1, 2, 3, 4} and catalog["stage"].notna().sum() == len(formula)
    assert set(catalog["category"]) >= {"infant_formula", "mother_baby", "appliances", "beauty",
                                        "food", "3c"}  # fmt: skip
    history = read_csv(small_world / "history.csv", "history")
    assert (history["qty"] > 0).all()  # only demand rows are written; missing dates mean zero
    gaz = load_gazetteer()
    assert all(gaz.contains(a[:2] + "0000", a) for a in ref.warehouses["adcode"])


def test_traffic_leads_demand(small_world: Path) -> None:
    history = pd.read_csv(small_world / "history.csv", parse_dates=["date"])
    daily = history.groupby("date")[["qty", "traffic"]].sum().asfreq("D", fill_value=0)
    traffic, qty = daily["traffic"].to_numpy(float), daily["qty"].to_numpy(float)
    lead = np.corrcoef(traffic[:-4], qty[4:])[0, 1]  # traffic today vs sales in 4 days
    lag = np.corrcoef(traffic[4:], qty[:-4])[0, 1]  # traffic today vs sales 4 days ago
    assert lead > lag and lead > 0.8


def test_every_injected_code_appears(labels: pd.DataFrame) -> None:
    expected = {c for c in CODES if type_of(c) in INJECTED_TYPES} - NOT_INJECTED
    assert expected <= set(labels["code"])
    assert (labels["type"] == labels["code"].map(type_of)).all()


def test_label_rates_within_configured_bounds(labels: pd.DataFrame, orders: list[Order]) -> None:
    n = len(orders)
    counts = labels["code"].value_counts()
    for code, rate in DEFAULT_RATES.items():
        observed = counts.get(code, 0) / n
        assert 0.7 * rate <= observed <= 2.0 * rate + 0.002, (code, observed, rate)
    clean = 1 - labels["order_id"].nunique() / n
    assert 0.88 <= clean <= 0.95


def test_orders_cover_channels_in_time_order(orders: list[Order], small_world: Path) -> None:
    assert {o.channel for o in orders} == set(KNOWN_CHANNELS)
    stamps = [o.created_at for o in orders]
    assert stamps == sorted(stamps)
    truth = pd.read_csv(small_world / "truth.csv", dtype={"adcode": str})
    assert truth["order_id"].tolist() == [o.order_id for o in orders]
    gaz = load_gazetteer()
    zones = functional_zones()
    assert all(gaz.names(a)[2] == d or d in {z.name for z in zones.get(a, ())}
               for a, d in zip(truth["adcode"], truth["district"], strict=True)
               if gaz.names(a)[1] != d)  # fmt: skip
    assert truth["district"].isin({z.name for zs in zones.values() for z in zs}).any()


def test_native_orders_adapt_back_to_the_unified_orders(
    small_world: Path, orders: list[Order]
) -> None:
    by_id = {o.order_id: o for o in orders}
    sku_map = load_sku_map(small_world / "sku_map.csv")
    seen = 0
    for channel in KNOWN_CHANNELS:
        with (small_world / "orders" / f"{channel}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                order = adapt(channel, json.loads(line), sku_map)
                assert order == by_id[order.order_id]
                seen += 1
    assert seen == len(orders)


def test_stock_labels_follow_the_snapshot(small_world: Path, labels: pd.DataFrame,
                                          orders: list[Order]) -> None:  # fmt: skip
    stock = pd.read_csv(small_world / "stock.csv").set_index(["warehouse_id", "sku"])
    by_id = {o.order_id: o for o in orders}
    short = labels.loc[labels["code"] == "STOCK_INSUFFICIENT", "order_id"]
    checked = 0
    for order in (by_id[i] for i in short):
        if order.warehouse_id:
            on_hand = [stock["on_hand"].get((order.warehouse_id, x.sku), 0) for x in order.lines]
            assert any(x.qty > h for x, h in zip(order.lines, on_hand, strict=True))
            checked += 1
    assert checked > 0


def test_clean_orders_carry_real_rounding_and_gaps_of_a_yuan_are_labeled(
    labels: pd.DataFrame, orders: list[Order]
) -> None:
    """Tills drop the jiao (抹零) and coupons leave a fen on clean orders, as on real ones; a
    gap of a yuan or more is PRICE_TOTAL_MISMATCH."""
    flagged = set(labels.loc[labels["code"] == "PRICE_TOTAL_MISMATCH", "order_id"])
    rounded = set()
    for order in orders:
        goods = sum(x.qty * x.unit_price for x in order.lines)
        subsidy = order.attributes.get("platform_subsidy", 0.0)
        gap = abs(order.paid_amount - (goods - (order.discount_amount or 0.0) - subsidy))
        assert (gap >= 1.0) == (order.order_id in flagged)
        if 0.005 < gap < 1.0:
            rounded.add(order.channel)
    assert flagged and {"offline_pos", "tmall"} <= rounded


def test_duplicates_repeat_an_earlier_order(labels: pd.DataFrame, orders: list[Order]) -> None:

    by_id = {o.order_id: o for o in orders}
    by_receiver: dict[str | None, list[Order]] = {}  # keyed once: the scan was quadratic
    for o in orders:
        by_receiver.setdefault(receiver_key(o), []).append(o)
    dups = labels.loc[labels["type"] == "duplicate"]
    for order_id, code in zip(dups["order_id"], dups["code"], strict=True):
        order = by_id[order_id]
        lines = sorted((x.sku, x.qty) for x in order.lines)
        earlier = [o for o in by_receiver[receiver_key(order)]
                   if o.created_at < order.created_at
                   and (order.created_at - o.created_at).total_seconds() <= 86_400
                   and sorted((x.sku, x.qty) for x in o.lines) == lines]  # fmt: skip
        assert earlier
        same = any(o.channel == order.channel for o in earlier)
        assert (code == "DUP_SAME_CHANNEL") == same


def test_formula_stage_labels_match_declared_age(labels: pd.DataFrame, orders: list[Order],
                                                 small_world: Path) -> None:  # fmt: skip
    stages = pd.read_csv(small_world / "catalog.csv").set_index("sku")["stage"].dropna()
    bands = {1: (0, 6), 2: (6, 12), 3: (12, 36), 4: (36, 999)}
    flagged = set(labels.loc[labels["code"] == "COMPLIANCE_FORMULA_STAGE", "order_id"])
    for order in orders:
        months = order.attributes.get("baby_age_months")
        if months is None:
            continue
        fits = all(bands[int(stages[x.sku])][0] <= months <= bands[int(stages[x.sku])][1]
                   for x in order.lines if x.sku in stages.index)  # fmt: skip
        assert fits == (order.order_id not in flagged)


def test_every_typo_label_has_a_name_written_wrong(
    labels: pd.DataFrame, orders: list[Order], small_world: Path
) -> None:
    """Take the true region names (full and short), the detail, the receiver and the phone out of
    a typo order's address: a name written wrong is left. A municipality's city written again
    (北京北京市) had been put back right over its typo: a tenth of the labels named no typo."""
    gaz = load_gazetteer()
    truth = pd.read_csv(small_world / "truth.csv", dtype=str).set_index("order_id")
    typos = set(labels.loc[labels["code"] == "ADDR_TYPO", "order_id"])
    written_right = []
    for order in (o for o in orders if o.order_id in typos):
        a, true = order.address, truth.loc[order.order_id]
        text = "".join(x or "" for x in (a.raw, a.province, a.city, a.district, a.detail))
        names = [n for region in gaz.chain(true["adcode"]) for n in (region.name, region.short)]
        parts = [*names, true["detail"], a.receiver or "", a.phone or ""]
        for part in sorted(filter(None, parts), key=len, reverse=True):
            text = text.replace(part, "")
        if not text.strip(SEPARATOR_CHARS):
            written_right.append(order.order_id)
    assert typos and written_right == []


def test_tiny_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        generate_world(tmp_path, days=5, n_orders=100, progress=False)


def test_counties_written_without_their_prefecture_are_clean(
    orders: list[Order], labels: pd.DataFrame, small_world: Path
) -> None:
    """浙江省桐庐县… is how people write a county: the world renders it, unlabeled."""
    truth = pd.read_csv(small_world / "truth.csv", dtype={"adcode": str})
    address_labeled = set(labels.loc[labels["type"] == "address", "order_id"])
    missing_level = set(labels.loc[labels["code"] == "ADDR_MISSING_LEVEL", "order_id"])
    counties_alone = [
        o.order_id
        for o, t in zip(orders, truth.itertuples(), strict=True)
        if t.district.endswith("县")
        and t.district in o.address.text()
        and t.city.removesuffix("市") not in o.address.text()
    ]
    assert set(counties_alone) - address_labeled  # rendered, and clean
    assert not missing_level & set(counties_alone)  # never labeled a missing level


def test_a_customer_s_town_is_one_of_the_county_s_towns(small_world: Path) -> None:
    """The parser reads a town as its county's (观海卫镇 is 慈溪's): a made-up town would be
    another county's (古荡街道 is 杭州西湖区's) and teach the models a conflict that is none."""
    truth = pd.read_csv(small_world / "truth.csv", dtype=str, keep_default_na=False)
    truth = truth[truth["adcode"].isin(county_towns())]
    named = [
        (town_county(detail), adcode)
        for detail, adcode in zip(truth["detail"], truth["adcode"], strict=True)
        if town_county(detail)
    ]
    assert len(named) > len(truth) / 10
    assert all(read == adcode for read, adcode in named)


def test_some_addresses_missing_a_level_name_only_their_town(
    labels: pd.DataFrame, orders: list[Order], small_world: Path
) -> None:
    """As typed addresses do (仓前街道良睦路…): no region written, the town names the county."""
    truth = pd.read_csv(small_world / "truth.csv", dtype=str).set_index("order_id")
    missing = set(labels.loc[labels["code"] == "ADDR_MISSING_LEVEL", "order_id"])
    alone = [o for o in orders if o.order_id in missing and not analyse(o.address.text()).block]
    assert len(alone) >= len(missing) / 10
    for order in alone:
        parsed = parse_address(order.address.text())
        assert parsed.adcode == truth.loc[order.order_id, "adcode"]
        assert parsed.defects == ("ADDR_MISSING_LEVEL",)
