"""The shipped samples (``data/samples/``), picked from a demo world: what the README sends.

The samples must be the default world's (``make run`` builds it): its SKUs, list prices and
platform SKU ids. Picked from an older world, the README's first order was held for a list price
the catalog no longer had, and every channel's sample carried platform ids the service could not
map. After a change to the generator, pick them again from the default world::

    python -m training.demo.samples data/demo data/samples

``tests/unit/test_samples.py`` checks the shipped samples against the default seed's world.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from itertools import islice
from pathlib import Path

import pandas as pd

from ordersight.adapters import adapt, load_sku_map
from ordersight.files import written_whole
from ordersight.schema import KNOWN_CHANNELS, Order

__all__ = ["CLEAN_ORDERS", "SHOWN_CODES", "pick_samples"]

SCANNED = 3000  # payloads read per channel for its sample
CLEAN_PER_CHANNEL = 2
CLEAN_ORDERS = 12
# after the clean orders, one order with each of these problems and no other
SHOWN_CODES = (
    "ADDR_TYPO",
    "ADDR_REGION_CONFLICT",
    "ADDR_MISSING_LEVEL",
    "STOCK_INSUFFICIENT",
    "PRICE_BELOW_COST",
    "PRICE_TOTAL_MISMATCH",
    "COMPLIANCE_FORMULA_STAGE",
    "COMPLIANCE_QTY_LIMIT",
)


def _codes(world: Path) -> dict[str, tuple[str, ...]]:
    labels = pd.read_csv(world / "labels.csv")
    return labels.groupby("order_id")["code"].agg(tuple).to_dict()


def _unified(world: Path, codes: dict[str, tuple[str, ...]]) -> list[str]:
    """Clean orders of several channels first (so ``head -1`` is a clean one), then one order
    with each of ``SHOWN_CODES`` alone; JSON lines as the world wrote them."""
    clean: list[str] = []
    shown: dict[str, str] = {}
    per_channel: Counter[str] = Counter()
    with (world / "orders.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            order = json.loads(line)
            got = codes.get(order["order_id"], ())
            if not got and len(clean) < CLEAN_ORDERS:
                if per_channel[order["channel"]] < CLEAN_PER_CHANNEL:
                    per_channel[order["channel"]] += 1
                    clean.append(line)
            elif len(got) == 1 and got[0] in SHOWN_CODES and got[0] not in shown:
                shown[got[0]] = line
            if len(clean) == CLEAN_ORDERS and len(shown) == len(SHOWN_CODES):
                break
    return clean + [shown[c] for c in SHOWN_CODES if c in shown]


def _platform_ids(channel: str, native: dict) -> list[str]:
    """The platform SKU ids of the lines that name no merchant SKU (adapted without a SKU map,
    such a line's SKU is ``channel:id``)."""
    return [line.sku.split(":", 1)[1] for line in adapt(channel, native).lines if ":" in line.sku]


def _richest(order: Order, native: dict, channel: str) -> tuple[int, int, int]:
    """How much of its adapter a payload shows: a line found through the SKU map, a baby age,
    several lines."""
    mapped = bool(_platform_ids(channel, native))
    return (int(mapped), int("baby_age_months" in order.attributes), min(len(order.lines), 2))


def _channel_payload(world: Path, channel: str, codes: dict, sku_map: dict) -> dict:
    """Of the first ``SCANNED`` payloads of ``channel``, the first clean one that shows most of
    its adapter."""
    best: tuple[tuple[int, int, int], dict] | None = None
    with (world / "orders" / f"{channel}.jsonl").open(encoding="utf-8") as fh:
        for line in islice(fh, SCANNED):
            native = json.loads(line)
            order = adapt(channel, native, sku_map)
            if codes.get(order.order_id):
                continue
            rank = _richest(order, native, channel)
            if best is None or rank > best[0]:
                best = (rank, native)
    if best is None:
        raise ValueError(f"{world}: no clean {channel} order")
    return best[1]


def pick_samples(world: Path, out: Path) -> None:
    """Write ``orders.jsonl``, ``channels/<channel>.json`` and the ids those use
    (``channels/sku_map.csv``) from ``world`` into ``out``."""
    codes = _codes(world)
    sku_map = load_sku_map(world / "sku_map.csv")
    with written_whole(out / "orders.jsonl") as fh:
        fh.write("".join(_unified(world, codes)))
    used: list[tuple[str, str, str]] = []
    for channel in KNOWN_CHANNELS:
        native = _channel_payload(world, channel, codes, sku_map)
        used += [(channel, pid, sku_map[(channel, pid)]) for pid in _platform_ids(channel, native)]
        with written_whole(out / "channels" / f"{channel}.json") as fh:
            fh.write(json.dumps(native, ensure_ascii=False, indent=2) + "\n")
    with written_whole(out / "channels" / "sku_map.csv") as fh:
        writer = csv.writer(fh)
        writer.writerow(["channel", "platform_sku_id", "sku"])
        writer.writerows(used)


if __name__ == "__main__":
    pick_samples(Path(sys.argv[1]), Path(sys.argv[2]))
