"""The shipped samples (data/samples/) are the default demo world's, the one `make run` serves:
its SKUs, list prices and platform SKU ids, so the README's examples score as the world says."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ordersight.adapters import adapt, load_sku_map
from ordersight.schema import KNOWN_CHANNELS, Order
from training.demo import generate_world
from training.demo.samples import CLEAN_ORDERS, SHOWN_CODES, pick_samples

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
TINY = {"days": 40, "n_orders": 3000, "progress": False}  # the default seed, as `make run`'s


@pytest.fixture(scope="module")
def default_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default-world")
    generate_world(out, **TINY)
    return out


def _native(samples: Path, channel: str) -> dict:
    return json.loads((samples / "channels" / f"{channel}.json").read_text(encoding="utf-8"))


def _orders(samples: Path, sku_map: dict) -> list[Order]:
    """The unified samples, then each channel's, adapted with ``sku_map``."""
    lines = (samples / "orders.jsonl").read_text(encoding="utf-8").splitlines()
    orders = [Order.model_validate_json(line) for line in lines]
    return orders + [adapt(c, _native(samples, c), sku_map) for c in KNOWN_CHANNELS]


def _problems(samples: Path, world: Path) -> list[str]:
    """Sample lines whose SKU the world's catalog lacks (a platform id its SKU map does not
    hold) or whose list price is not the catalog's."""
    list_price = pd.read_csv(world / "catalog.csv").set_index("sku")["list_price"]
    problems = []
    for order in _orders(samples, load_sku_map(world / "sku_map.csv")):
        for i, line in enumerate(order.lines):
            where = f"{order.order_id} lines[{i}] {line.sku}"
            if line.sku not in list_price.index:
                problems.append(f"{where}: not in the catalog")
                continue
            catalog = list_price[line.sku]
            if line.list_price is not None and abs(line.list_price - catalog) > 0.005:
                problems.append(f"{where}: list price {line.list_price}, the catalog's {catalog}")
    return problems


def test_the_shipped_samples_are_the_default_worlds(default_world: Path) -> None:
    assert _problems(SAMPLES, default_world) == []
    shipped = load_sku_map(SAMPLES / "channels" / "sku_map.csv")
    assert shipped.items() <= load_sku_map(default_world / "sku_map.csv").items()


def test_platform_ids_depend_on_the_seed_alone(default_world: Path, tmp_path: Path) -> None:
    generate_world(tmp_path, days=30, n_orders=500, progress=False)
    assert (tmp_path / "sku_map.csv").read_bytes() == (default_world / "sku_map.csv").read_bytes()


def test_samples_picked_from_a_world_are_clean_then_one_problem_each(
    default_world: Path, tmp_path: Path
) -> None:
    pick_samples(default_world, tmp_path)
    assert _problems(tmp_path, default_world) == []
    labels = pd.read_csv(default_world / "labels.csv").groupby("order_id")["code"].agg(tuple)
    sku_map = load_sku_map(tmp_path / "channels" / "sku_map.csv")
    orders = _orders(tmp_path, sku_map)  # the samples' own map holds every id they use
    assert all(":" not in line.sku for order in orders for line in order.lines)
    codes = [labels.get(order.order_id, ()) for order in orders]
    unified = len(orders) - len(KNOWN_CHANNELS)
    assert codes[:CLEAN_ORDERS] == [()] * CLEAN_ORDERS
    assert codes[CLEAN_ORDERS:unified] == [(code,) for code in SHOWN_CODES]
    assert codes[unified:] == [()] * len(KNOWN_CHANNELS)  # every channel's sample is clean
    # some lines name the platform's id alone: the samples show the SKU map at work
    unmapped = [adapt(c, _native(tmp_path, c)) for c in KNOWN_CHANNELS]
    assert any(":" in line.sku for order in unmapped for line in order.lines)
