"""``generate_world``: the seeded demo world (CONTRACT §5) written to one directory."""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
from rich.progress import Progress

from ordersight.adapters import SPECS, adapt, to_native
from ordersight.adapters._common import mask_phone
from ordersight.codes import type_of
from ordersight.gazetteer import county_towns, load_gazetteer
from ordersight.schema import CHINA, Order
from training.demo import labels as L
from training.demo import orders as O
from training.demo import vocab
from training.demo.addresses import PICKER_CODES, AddressMaker
from training.demo.catalog import build_catalog, build_regions, build_warehouses
from training.demo.demand import history_frame, simulate_demand
from training.demo.stock import build_stock, stock_book

END = date(2025, 11, 30)  # the snapshot day: stock.csv is the stock at its end
STATUS = {"tmall": ("status", "WAIT_SELLER_SEND_GOODS"),
          "jd": ("orderState", "WAIT_SELLER_STOCK_OUT"),
          "douyin": ("order_status", 2), "pdd": ("order_status", 1), "kuaishou": ("status", 30),
          "xiaohongshu": ("orderStatus", 4), "offline_pos": ("cashier", "C07")}  # fmt: skip
_VALID_PREFIX = ("13", "14", "15", "16", "17", "18", "19")


def generate_world(
    out: Path,
    seed: int = 7,
    days: int = 730,
    n_orders: int = 200_000,
    progress: bool = True,
    rates: O.DefectRates | None = None,
) -> dict[str, Any]:
    """Write the demo world to ``out`` and return a summary (counts and label rates)."""
    if days < 28 or n_orders < 500:
        raise ValueError("the demo world needs days >= 28 and n_orders >= 500")
    out = Path(out)
    (out / "orders").mkdir(parents=True, exist_ok=True)
    rates = rates or O.DefectRates()
    nrng, rng = np.random.default_rng(seed), random.Random(seed)
    gaz = load_gazetteer()
    with Progress(disable=not progress) as bar:
        task = bar.add_task("catalog, warehouses, regions", total=6)
        catalog = build_catalog(nrng)
        warehouses = build_warehouses(gaz, nrng)
        regions = build_regions(gaz, warehouses, nrng)
        wh_ids = warehouses["warehouse_id"].to_numpy()
        skus = catalog["sku"].to_numpy()
        bar.update(task, advance=1, description="demand history")
        wh_share = regions.groupby("warehouse_id")["weight"].sum().reindex(wh_ids).to_numpy()
        demand = simulate_demand(catalog, wh_share, END - timedelta(days=days - 1), days, nrng)
        history = history_frame(demand, skus, wh_ids)
        bar.update(task, advance=1, description="stock snapshot")
        stock, tight = build_stock(demand.qty, skus, wh_ids, nrng, rates.tight_share)
        book = stock_book(stock, regions, warehouses)
        bar.update(task, advance=1, description="orders")
        drafts = _draft_orders(demand, catalog, regions, wh_ids, book, tight, rates, n_orders,
                               nrng, rng)  # fmt: skip
        bar.update(task, advance=1, description="native payloads")
        # the platforms' SKU ids depend on the seed alone, not on days or orders: the shipped
        # samples (data/samples/channels/) carry the default world's ids at any size
        platform = _platform_ids(catalog, random.Random(f"{seed}:platform-ids"))
        summary = _write_orders(out, drafts, catalog, book, platform, rng, bar)
        bar.update(task, advance=1, description="reference files")
        catalog.to_csv(out / "catalog.csv", index=False)
        warehouses.to_csv(out / "warehouses.csv", index=False)
        stock.to_csv(out / "stock.csv", index=False)
        regions.to_csv(out / "regions.csv", index=False)
        history.to_csv(out / "history.csv", index=False)
        bar.update(task, advance=1)
    summary.update(
        seed=seed, days=days, skus=len(catalog), warehouses=len(warehouses),
        history_rows=len(history), hot_skus=demand.hot, start=str(demand.dates[0].date()),
        end=str(END),
    )  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return summary


def _products(catalog: pd.DataFrame) -> dict[str, O.Product]:
    return {
        r.sku: O.Product(r.sku, r.category, r.list_price, r.cost, r.price_floor,
                         None if pd.isna(r.stage) else int(r.stage), int(r.max_qty_per_order))
        for r in catalog.itertuples()
    }  # fmt: skip


def _assign_codes(skeletons: list[dict], rates: O.DefectRates, total: int,
                  rng: random.Random) -> None:  # fmt: skip
    """At most one injected defect per order, each code on its exact share of orders."""
    free = list(range(len(skeletons)))
    for code, rate in rates.rates.items():
        if code.startswith("DUP_") or rate <= 0:
            continue
        k = max(1, round(rate * total))
        ok = [i for i in free if _eligible(code, skeletons[i])]
        chosen = set(rng.sample(ok, min(k, len(ok))))
        for i in chosen:
            skeletons[i]["code"] = code
        free = [i for i in free if i not in chosen]


def _eligible(code: str, sk: dict) -> bool:
    style = O.ADDRESS_STYLE.get(sk["channel"], "picker")
    if code.startswith("ADDR_") and style == "picker":
        return code in PICKER_CODES
    if code == "COMPLIANCE_FORMULA_STAGE":
        return sk["channel"] in O.BABY_CHANNELS and sk["formula"]
    if code == "STOCK_OVERSELL_RISK":
        return sk["channel"] in O.FLASH_CHANNELS
    if code == "PRICE_CATALOG_MISMATCH":
        return sk["channel"] != "pdd"  # PDD sends no list price
    return True


def _draft_orders(demand, catalog, regions, wh_ids, book, tight, rates, n_orders, nrng, rng):
    """Order drafts sampled from the demand grid (orders follow the same process as history)."""
    products = _products(catalog)
    skus = catalog["sku"].tolist()
    n_dups = sum(max(1, round(rates.rates.get(c, 0) * n_orders)) for c in O.DEFAULT_RATES
                 if c.startswith("DUP_"))  # fmt: skip
    n_base = n_orders - n_dups
    flat = demand.qty.reshape(-1).astype(float)
    cells = np.sort(nrng.choice(flat.size, size=n_base, p=flat / flat.sum()))
    s_idx, w_idx, t_idx = np.unravel_index(cells, demand.qty.shape)
    wh_order = [str(w) for w in wh_ids]
    # districts per order, drawn within the warehouse region by weight
    districts = np.empty(n_base, dtype=object)
    for j, wh in enumerate(wh_order):
        mask = w_idx == j
        region = regions[regions["warehouse_id"] == wh]
        p = region["weight"].to_numpy() / region["weight"].sum()
        districts[mask] = nrng.choice(region["adcode"].to_numpy(), size=mask.sum(), p=p)
    maker = AddressMaker(load_gazetteer())
    days = len(demand.dates)
    skeletons = []
    for i in range(n_base):
        sku = skus[s_idx[i]]
        channel = O.pick_channel(rng, t_idx[i] / max(days - 1, 1))
        skeletons.append({"sku": sku, "t": int(t_idx[i]), "adcode": str(districts[i]),
                          "channel": channel, "code": None,
                          "formula": products[sku].category == "infant_formula"})  # fmt: skip
    _assign_codes(skeletons, rates, n_orders, rng)
    people: dict[str, tuple] = {}
    by_region: dict[str, list[str]] = {w: [] for w in wh_order}
    drafts = []
    for sk in skeletons:
        drafts.append(
            _finish(sk, demand, products, book, tight, maker, people, by_region, rates, rng)
        )
    drafts += _duplicates(drafts, rates, n_orders, maker, people, rng)
    drafts.sort(key=lambda d: d["created_at"])
    return drafts


def _person_for(sk, maker, people, by_region, book, rng) -> str:
    """A returning customer of the region (30 %) or a new one; sets ``sk['adcode']``."""
    need = maker.needs_truth(sk["code"], sk["adcode"])
    if need:
        sk["adcode"] = rng.choice(need)
    wh = book.by_distance[sk["adcode"]][0]
    pool = by_region.setdefault(wh, [])
    if not need and sk["code"] is None and pool and rng.random() < 0.3:
        cid = rng.choice(pool)
        sk["adcode"] = people[cid][0]
        return cid
    cid = f"c-{len(people) + 1:07d}"
    district = maker.gaz[sk["adcode"]].name
    towns = county_towns().get(sk["adcode"], ())
    people[cid] = (sk["adcode"], O.new_person(rng, urban=district.endswith("区"), towns=towns))
    pool.append(cid)
    return cid


def _finish(sk, demand, products, book, tight, maker, people, by_region, rates, rng) -> dict:
    code, channel = sk["code"], sk["channel"]
    cid = _person_for(sk, maker, people, by_region, book, rng)
    adcode = sk["adcode"]
    day = datetime.combine(demand.dates[sk["t"]].date(), datetime.min.time(), CHINA)
    primary = products[sk["sku"]]
    nearest = book.by_distance[adcode][0]
    if code in {"STOCK_INSUFFICIENT", "STOCK_RESERVED"}:
        pool = [s for s in tight[nearest] if _fits_limit(code, book, nearest, products[s])]
        primary = products[rng.choice(pool)] if pool else primary
    lines = [primary]
    if code not in {"STOCK_OVERSELL_RISK"} and rng.random() < 0.3:
        cat = "mother_baby" if primary.category == "infant_formula" else primary.category
        pool = [p for p in products.values() if p.category == cat and p.sku != primary.sku]
        lines += rng.sample(pool, 1 if rng.random() < 0.8 else 2)
    draft: dict[str, Any] = {"channel": channel, "created_at": O.order_time(rng, day),
                             "customer_id": cid, "adcode": adcode, "code": code,
                             "discount": 0.0, "subsidy": 0.0, "attributes": {}}  # fmt: skip
    sets_wh = rng.random() < O.SETS_WAREHOUSE.get(channel, 0.0)
    draft["warehouse_id"] = book.sourcing(None, primary.sku, adcode) if sets_wh else None
    t = sk["t"]
    sku_pos = {s: i for i, s in enumerate(products)}
    draft["lines"] = [
        {"sku": p.sku, "qty": O.pick_qty(rng, p), "list_price": p.list_price,
         "unit_price": O.price_line(rng, p, float(demand.price[sku_pos[p.sku], t]), channel)}
        for p in lines
    ]  # fmt: skip
    first = draft["lines"][0]
    source = book.sourcing(draft["warehouse_id"], first["sku"], adcode)
    on_hand, available = (
        book.on_hand.get((source, first["sku"]), 0),
        book.available(source, first["sku"]),
    )
    if code == "COMPLIANCE_QTY_LIMIT":
        first["qty"] = primary.max_qty + rng.randint(1, max(1, primary.max_qty // 2))
    elif code == "STOCK_INSUFFICIENT":
        first["qty"] = min(on_hand + rng.choice([1, 1, 1, 2, 3]), max(primary.max_qty, on_hand + 1))
    elif code == "STOCK_RESERVED" and available < on_hand:
        first["qty"] = rng.randint(max(available, 0) + 1, min(on_hand, primary.max_qty))
    else:
        O.fit_stock(draft, book, adcode)
        if rng.random() < 0.05 and available <= primary.max_qty:
            first["qty"] = max(1, available)  # exactly what is left: clean but close
    _flash(draft, code, channel, book.available(source, first["sku"]), demand, sk, rates, rng)
    draft["discount"], draft["subsidy"] = O.coupons(
        rng, _goods(draft), channel, draft["created_at"]
    )
    O.settle(draft)
    O.round_paid(rng, draft, channel)
    if code and code.startswith("PRICE_"):
        O.inject_price(rng, code, draft, products)
    formula = [products[x["sku"]].stage for x in draft["lines"] if products[x["sku"]].stage]
    if (
        formula
        and channel in O.BABY_CHANNELS
        and (code == "COMPLIANCE_FORMULA_STAGE" or rng.random() < 0.75)
    ):
        fits = code != "COMPLIANCE_FORMULA_STAGE"
        draft["attributes"]["baby_age_months"] = O.baby_age(rng, formula[0], fits)
    draft["person"] = people[cid][1]
    return draft


def _fits_limit(code: str, book: L.StockBook, wh: str, product: O.Product) -> bool:
    """A tight SKU whose shortage shows within the per-order quantity limit."""
    on_hand = book.on_hand.get((wh, product.sku), 0)
    if code == "STOCK_INSUFFICIENT":
        return on_hand < product.max_qty
    return (
        book.reserved.get((wh, product.sku), 0) > 0
        and book.available(wh, product.sku) < product.max_qty
    )


def _goods(draft: dict) -> float:
    return sum(x["qty"] * x["unit_price"] for x in draft["lines"])


def _flash(draft, code, channel, available, demand, sk, rates, rng) -> None:
    if channel not in O.FLASH_CHANNELS:
        return
    busy = demand.festival[sk["t"]] > 1.2 or bool(demand.promo[:, sk["t"]].any())
    if code != "STOCK_OVERSELL_RISK" and not (busy and rng.random() < rates.flash_share):
        return
    draft["lines"] = draft["lines"][:1]
    if code == "STOCK_OVERSELL_RISK":
        promised = math.ceil(max(available, 1) * rng.uniform(1.05, 2.5)) + 1
    else:
        promised = max(1, math.floor(available * rng.uniform(0.3, 1.0)))
    draft["attributes"].update(flash_sale=True, flash_sale_stock=int(promised))


def _duplicates(drafts, rates, n_orders, maker, people, rng) -> list[dict]:
    """Copies of earlier clean orders within 24 h: same customer, address and lines."""
    clean = [d for d in drafts if d["code"] is None]
    extra = []
    for code in ("DUP_CROSS_CHANNEL", "DUP_SAME_CHANNEL"):
        for src in rng.sample(clean, min(len(clean), max(1, round(rates.rates[code] * n_orders)))):
            channel = src["channel"]
            while code == "DUP_CROSS_CHANNEL" and channel == src["channel"]:
                channel = O.pick_channel(rng, rng.random())
            later = src["created_at"] + timedelta(minutes=rng.randint(3, 1380))
            dup = {**src, "channel": channel, "code": code, "attributes": {},
                   "lines": [dict(x) for x in src["lines"]], "created_at": later}  # fmt: skip
            if channel not in O.SUBSIDY_CHANNELS:
                dup["subsidy"] = 0.0
            if "baby_age_months" in src["attributes"] and channel in O.BABY_CHANNELS:
                dup["attributes"]["baby_age_months"] = src["attributes"]["baby_age_months"]
            if channel not in O.SETS_WAREHOUSE:
                dup["warehouse_id"] = None
            O.settle(dup)
            extra.append(dup)
    return extra


def _order_ids(drafts: list[dict]) -> None:
    for n, d in enumerate(drafts):
        stamp = d["created_at"]
        ymd = stamp.strftime("%y%m%d")
        native = {
            "own_app": f"A{ymd}{n:07d}", "own_mini": f"wx{stamp:%Y%m%d%H%M%S}{n % 100000:05d}",
            "tmall": f"3{ymd}{n:012d}", "jd": f"3{n:011d}", "douyin": f"69{ymd}{n:010d}",
            "pdd": f"{ymd}-{n:015d}", "kuaishou": f"21{n:014d}", "xiaohongshu": f"P7{ymd}{n:010d}",
            "offline_pos": f"{(d['warehouse_id'] or 'WH-XX')[3:]}01-{ymd}-{n:07d}",
        }[d["channel"]]  # fmt: skip
        d["order_id"] = f"{SPECS[d['channel']].prefix}-{native}"


def _visible_bad(phone: str, channel: str) -> bool:
    shown = mask_phone(phone) if SPECS[channel].masked else phone
    digits = shown.replace("*", "0")
    return len(shown) != 11 or not shown.startswith(_VALID_PREFIX) or not digits.isdigit()


def _write_orders(out: Path, drafts: list[dict], catalog: pd.DataFrame, book: L.StockBook,
                  platform: tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]],
                  rng: random.Random, bar: Progress) -> dict[str, Any]:  # fmt: skip
    gaz = load_gazetteer()
    maker = AddressMaker(gaz)
    _order_ids(drafts)
    names = dict(zip(catalog["sku"], catalog["name"], strict=True))
    platform_ids, sku_map = platform
    with (out / "sku_map.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["channel", "platform_sku_id", "sku"])
        writer.writerows((c, pid, sku) for (c, pid), sku in sku_map.items())
    natives = {c: (out / "orders" / f"{c}.jsonl").open("wb") for c in SPECS}
    unified = (out / "orders.jsonl").open("wb")
    label_rows: list[tuple[str, str, str]] = []
    truth_rows = []
    finals: list[Order] = []
    details: list[str] = []
    price_cat = {r.sku: (r.list_price, r.cost, r.price_floor) for r in catalog.itertuples()}
    comp_cat = {r.sku: (None if pd.isna(r.stage) else int(r.stage), int(r.max_qty_per_order))
                for r in catalog.itertuples()}  # fmt: skip
    task = bar.add_task("orders", total=len(drafts))
    for d in drafts:
        code, channel = d["code"], d["channel"]
        receiver, phone, town, street = d["person"]
        addr_code = code if code and code.startswith("ADDR_") else None
        if addr_code == "ADDR_BAD_PHONE":
            phone = next(p for p in iter(lambda: vocab.bad_phone(rng), None)
                         if _visible_bad(p, channel))  # fmt: skip
        style = O.ADDRESS_STYLE.get(channel, "picker")
        shown = addr_code if addr_code != "ADDR_BAD_PHONE" else None
        rendered = maker.render(d["adcode"], style, shown, rng, (receiver, phone, town, street))
        attrs = dict(d["attributes"])
        if d["subsidy"]:
            attrs["platform_subsidy"] = d["subsidy"]
        if channel in STATUS:
            attrs.setdefault(*STATUS[channel])
        draft_order = Order(
            order_id=d["order_id"], channel=channel, created_at=d["created_at"],
            customer_id=d["customer_id"], address=rendered.fields, warehouse_id=d["warehouse_id"],
            lines=d["lines"], paid_amount=d["paid"], discount_amount=d["discount"],
            attributes=attrs,
        )  # fmt: skip
        native = to_native(draft_order, channel, rng, platform_ids.get(channel), names)
        order = adapt(channel, native, sku_map)
        natives[channel].write(orjson.dumps(native) + b"\n")
        unified.write(order.model_dump_json().encode() + b"\n")
        finals.append(order)
        details.append(rendered.detail)
        p, c, dist = gaz.names(d["adcode"])
        dist = rendered.zone or dist  # a zone address is read as its zone (it has no adcode)
        truth_rows.append((order.order_id, d["adcode"], p, c, dist, rendered.detail))
        codes = [addr_code] if addr_code else []
        codes += L.stock_codes(order, d["adcode"], book)
        codes += L.price_codes(order, price_cat) + L.compliance_codes(order, comp_cat)
        label_rows += [(order.order_id, type_of(x), x) for x in codes]
        bar.advance(task)
    for fh in [*natives.values(), unified]:
        fh.close()
    dups = L.duplicate_codes(finals, [t[1] for t in truth_rows], details)
    label_rows += [(o.order_id, "duplicate", x) for o, x in zip(finals, dups, strict=True) if x]
    position = {o.order_id: i for i, o in enumerate(finals)}
    label_rows.sort(key=lambda r: (position[r[0]], r[2]))
    pd.DataFrame(label_rows, columns=["order_id", "type", "code"]).to_csv(
        out / "labels.csv", index=False
    )
    pd.DataFrame(truth_rows, columns=["order_id", "adcode", "province", "city", "district",
                                      "detail"]).to_csv(out / "truth.csv", index=False)  # fmt: skip
    labeled = {r[0] for r in label_rows}
    counts: dict[str, int] = {}
    for _, _, x in label_rows:
        counts[x] = counts.get(x, 0) + 1
    return {"orders": len(finals), "clean_share": round(1 - len(labeled) / len(finals), 4),
            "label_counts": dict(sorted(counts.items())),
            "orders_per_channel": {c: sum(o.channel == c for o in finals) for c in SPECS},
            }  # fmt: skip


def _platform_ids(
    catalog: pd.DataFrame, rng: random.Random
) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]]:
    """Per platform: merchant SKU → the platform's numeric SKU id, and the reverse table."""
    ids: dict[str, dict[str, str]] = {}
    table: dict[tuple[str, str], str] = {}
    for channel, spec in SPECS.items():
        if not spec.lines.platform_id:
            continue
        digits = 12 if channel in {"tmall", "jd"} else 16
        ids[channel] = {}
        for sku in catalog["sku"]:
            pid = str(rng.randrange(10 ** (digits - 1), 10**digits))
            ids[channel][sku] = pid
            table[(channel, pid)] = sku
    return ids, table
