"""Reference-data files (CONTRACT §4): validated as a whole, rejected with file, row and column.

Loaders are pure over a path: they return a DataFrame or raise :class:`ReferenceFileError`.
Nothing is half-loaded: callers swap the new frame in only after the whole file passed.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ordersight.gazetteer import coords
from ordersight.periods import history_period
from ordersight.schema import DAY_FIRST, dashed_day, name_key

log = logging.getLogger("ordersight.reference")
MAX_PROBLEMS = 20
# how ERP and spreadsheet exports write numbers: ¥1,299.00, 199元
_MONEY = re.compile(r"^(?:¥|￥|RMB|CNY)\s*|\s*元$", re.IGNORECASE)
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
# an infant-formula stage as catalogs write it: 3段, 三段, 第3阶段, Stage 3, Step 3, S3
_STAGE = re.compile(r"^(?:stage\s*|step\s*|s|第)?([1-9一二三四])\s*(?:阶?段)?$", re.IGNORECASE)
_STAGE_DIGITS = str.maketrans("一二三四", "1234")
# the stage as formula names write it (飞帆3段, 一段, 3阶段, Stage 2, Step 2, S3), and what says a
# name is infant formula (a 三段式 switch, 三阶段学饮杯, 一段学步鞋 are no formula stage): its
# words, or, where shop titles leave them out, a can (能恩2段 800g*2罐) or the follow-on
# formula's legal name (a2 紫白金版 2段 较大婴儿)
STAGE_IN_NAME = re.compile(
    r"([1-4一二三四])\s*阶?段|(?:stage|step)\s*([1-4])|\bs([1-4])\b", re.IGNORECASE
)
_FORMULA_WORDS = re.compile(
    r"奶粉|配方|羊奶|formula|milk|较大婴儿|\d\s*[罐听]",
    re.IGNORECASE,
)
NEAR_MISS = 80  # a header this close (rapidfuzz ratio) to a column the file lacks is a typo of it
HISTORY_DAYS = 60  # history kept for serving features (velocity: 7 days, prices: 28)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str" | "int" | "float" | "date" | "adcode"
    required: bool = True
    min_value: float | None = None
    max_value: float | None = None


@dataclass
class Problem:
    row: int | None  # 1-based data row as a person sees it in a spreadsheet (header = row 1)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (f"row {self.row}" if self.row else "", self.column or "") if p
        )
        return f"{where}: {self.message}" if where else self.message


class ReferenceFileError(ValueError):
    """A reference file failed validation; ``problems`` lists the first ones found."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        super().__init__(f"{file}: {shown}")


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "catalog": (
        Column("sku", "str"),
        Column("name", "str"),
        Column("category", "str"),
        Column("list_price", "float", min_value=0),
        Column("cost", "float", min_value=0),
        Column("price_floor", "float", required=False, min_value=0),
        Column("stage", "int", required=False, min_value=1),
        Column("max_qty_per_order", "int", required=False, min_value=1),
    ),
    "warehouses": (
        Column("warehouse_id", "str"),
        Column("name", "str"),
        Column("adcode", "adcode"),
        # optional: a warehouse list without coordinates is placed at its adcode's division
        Column("lon", "float", required=False, min_value=73, max_value=136),  # China's extent
        Column("lat", "float", required=False, min_value=3, max_value=54),
        Column("capacity_units", "int", min_value=0),
    ),
    "stock": (
        Column("warehouse_id", "str"),
        Column("sku", "str"),
        Column("on_hand", "int", min_value=0),
        Column("reserved", "int", min_value=0),
        Column("in_transit", "int", min_value=0),
    ),
    "history": (
        Column("date", "date"),
        Column("sku", "str"),
        Column("warehouse_id", "str"),
        Column("qty", "float"),  # a return is a negative row (a day nets at 0 or more)
        Column("price", "float", required=False, min_value=0),
        Column("promo", "float", required=False),
        Column("traffic", "float", required=False, min_value=0),
    ),
}
# Other systems' headers for the schema's columns (Chinese ERP and marketplace exports, common
# English ones), as name_key spells them; used only where the file lacks the schema's own name.
_SKU = "商品编码 货品编码 商品编号 商家编码 sku编码 货号 sku_code sku_id item_code product_code"
_WAREHOUSE = "仓库编码 仓库代码 仓库编号 仓库id 仓库 warehouse warehouse_code wh_id"
_ALIASES: dict[str, dict[str, str]] = {
    "catalog": {
        "sku": _SKU,
        "name": "商品名称 货品名称 品名 product_name item_name",
        "category": "类目 品类 分类 商品类目 商品分类",
        "list_price": "吊牌价 标价 零售价 建议零售价 市场价 retail_price msrp",
        "cost": "成本 成本价 进货价 采购价 cost_price",
        "price_floor": "最低价 最低售价 底价 限价 min_price floor_price",
        "stage": "段位 段数 阶段 奶粉段位",
        "max_qty_per_order": "限购 限购数量 单笔限购 purchase_limit max_qty",
    },
    "warehouses": {
        "warehouse_id": "仓库编码 仓库代码 仓库编号 仓库id warehouse_code wh_id",
        "name": "仓库名称 名称 warehouse_name",
        "adcode": "行政区划代码 区划代码 地区编码 区县编码",
        "lon": "经度 longitude lng",
        "lat": "纬度 latitude",
        "capacity_units": "容量 库容 仓容 capacity",
    },
    "stock": {
        "warehouse_id": _WAREHOUSE,
        "sku": _SKU,
        "on_hand": "在库 在库数量 库存 库存数量 实物库存 现有库存 qty_on_hand inventory",
        "reserved": "占用 占用库存 锁定 锁定库存 预占 预占库存 已占用 allocated",
        "in_transit": "在途 在途库存 在途数量 transit",
    },
    "history": {
        "date": "日期 销售日期 下单日期 业务日期 day order_date sales_date",
        "sku": _SKU,
        "warehouse_id": _WAREHOUSE,
        "qty": "销量 数量 销售数量 件数 units quantity sales sold",
        "price": "单价 售价 成交价 成交均价 平均售价 unit_price",
        "promo": "促销 是否促销 活动 promotion",
        "traffic": "流量 访客数 uv 浏览量 visitors",
    },
}
HEADER_ALIASES: dict[str, dict[str, str]] = {
    kind: {alias: name for name, words in spec.items() for alias in words.split()}
    for kind, spec in _ALIASES.items()
}
KEYS: dict[str, tuple[str, ...]] = {
    "catalog": ("sku",),
    "warehouses": ("warehouse_id",),
    "stock": ("warehouse_id", "sku"),
    "history": ("date", "sku", "warehouse_id"),
}


def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Typed column and a mask of cells that failed to convert (blank optional cells pass).

    Each distinct cell is converted once: a sales history repeats its dates, SKUs, warehouses
    and quantities on every row (the demo's 1.46 M rows × 7 columns: 5,795 distinct cells), and
    pandas' string methods cost a Python call per cell."""
    codes, distinct = pd.factorize(series, use_na_sentinel=False)
    typed, bad = _coerce_cells(pd.Series(distinct, dtype=object), col)
    return _spread(typed, codes, series.index), _spread(bad, codes, series.index)


def _spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(values.array.take(codes), index=index)


def _coerce_cells(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    text = series.astype("string").str.strip()
    blank = text.isna() | (text == "")
    if col.name == "stage":
        text = text.str.replace(_STAGE, r"\1", regex=True).str.translate(_STAGE_DIGITS)
    if col.kind in {"int", "float"}:
        text = text.str.replace(_MONEY, "", regex=True)
        text = text.where(~text.str.fullmatch(_THOUSANDS).fillna(False), text.str.replace(",", ""))
    if col.kind in {"str", "adcode"}:
        out = text
        bad = pd.Series(False, index=series.index)
        if col.kind == "adcode":
            bad = ~blank & ~text.fillna("").str.fullmatch(r"\d{6}(\d{6})?")
            out = text.str.slice(0, 6)
    elif col.kind == "date":  # a day: 2025-01-05 10:00 and 2025-01-05 15:30 are one key
        text = text.str.replace(DAY_FIRST, dashed_day, regex=True)  # 2025年1月5日
        out = pd.to_datetime(text, errors="coerce", format="mixed").dt.normalize()
        bad = ~blank & out.isna()
    else:
        out = pd.to_numeric(text, errors="coerce")
        bad = ~blank & out.isna()
        if col.kind == "int":
            bad |= ~blank & out.notna() & (out != np.floor(out.fillna(0)))
    return out, bad | (blank & col.required)


def validate_frame(
    frame: pd.DataFrame, kind: str, file: str, *, totals: bool = False
) -> pd.DataFrame:
    """Validate and type a raw (all-string) frame against ``SCHEMAS[kind]``; ``totals`` accepts a
    history of weekly or monthly totals (the forecast command reads them as such)."""
    schema = SCHEMAS[kind]
    frame = frame.rename(columns=lambda name: name_key(str(name)))
    frame = frame.rename(columns=_aliased(list(frame.columns), HEADER_ALIASES[kind]))
    problems: list[Problem] = []
    missing = [c.name for c in schema if c.required and c.name not in frame.columns]
    problems += [Problem(1, c, "required column missing") for c in missing]
    absent = [c.name for c in schema if c.name not in frame.columns]
    known = {c.name for c in schema}
    extra = [c for c in frame.columns if c not in known]
    for name in extra:
        near = process.extractOne(name, absent, scorer=fuzz.ratio, score_cutoff=NEAR_MISS)
        if near:
            problems.append(Problem(1, name, f"unknown column (did you mean {near[0]!r}?)"))
    if problems:
        raise ReferenceFileError(file, problems)
    if extra:  # exports carry more (brand, barcode, 规格): kept out, not a reason to refuse
        log.info("%s: columns ignored: %s", file, ", ".join(map(str, extra)))
    if frame.empty:
        raise ReferenceFileError(file, [Problem(None, None, "file has no data rows")])
    out = pd.DataFrame(index=frame.index)
    for col in schema:
        if col.name not in frame.columns:
            continue
        typed, bad = _coerce(frame[col.name], col)
        if col.min_value is not None and col.kind in {"int", "float"}:
            bad |= typed.notna() & (typed < col.min_value)
        if col.max_value is not None:
            bad |= typed.notna() & (typed > col.max_value)
        for idx in bad[bad].index[:MAX_PROBLEMS]:
            value = frame.at[idx, col.name]
            problems.append(Problem(int(idx) + 2, col.name, f"invalid value {value!r}"))
        out[col.name] = typed
    if kind == "warehouses":
        out, unplaced = _placed(out)
        problems += unplaced
    if kind == "history":  # exports seldom hold one row per key: summed, not refused
        out = _daily(out)
        problems += [] if totals else _periodic_totals(out["date"])
    elif kind == "stock":  # WMS exports list stock per lot or bin: summed, not refused
        out = out.groupby(list(KEYS[kind]), as_index=False, sort=False).sum()
    else:
        dup = out.duplicated(list(KEYS[kind]), keep="first")
        for idx in dup[dup].index[:MAX_PROBLEMS]:
            problems.append(Problem(int(idx) + 2, ",".join(KEYS[kind]), "duplicate key"))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise ReferenceFileError(file, problems[:MAX_PROBLEMS])
    return _finish(out, kind)


def _placed(warehouses: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Coordinates from the gazetteer where a row gives none (its adcode's district, else city);
    a row with neither coordinates nor a known adcode is a problem."""
    out = warehouses.copy()
    for name in ("lon", "lat"):
        if name not in out:
            out[name] = np.nan
    missing = out["lon"].isna() | out["lat"].isna()
    problems = []
    for idx in out.index[missing]:
        adcode = out.at[idx, "adcode"]
        lon, lat = coords(adcode if isinstance(adcode, str) else "")
        if np.isnan(lon):
            problems.append(Problem(int(idx) + 2, "lon", "no coordinates and an unknown adcode"))
        out.loc[idx, ["lon", "lat"]] = lon, lat
    return out, problems


def _aliased(columns: list[str], aliases: dict[str, str]) -> dict[str, str]:
    """Renames of other systems' headers (商品编码 → sku) to schema names the file lacks; of two
    aliases of one name, the first column is taken and the other ignored."""
    renames: dict[str, str] = {}
    for column in columns:
        target = aliases.get(column)
        if target and target not in columns and target not in renames.values():
            renames[column] = target
    return renames


def _periodic_totals(dates: pd.Series) -> list[Problem]:
    """Weekly or monthly totals where days are needed (the service's daily forecast): read as
    days, six days in seven (or 29 in 30) would be days of no demand and the week's whole demand
    one day's, so the file is refused, naming the spacing."""
    period = history_period(dates)
    if period is None:
        return []
    n_dates = dates.nunique()
    guess = f"{period.unit}ly totals?"
    spacing = (
        f"is a {period.anchor} ({guess})"
        if period.unit == "week"
        else f"falls on one day of its month ({guess})"
    )
    return [
        Problem(
            None,
            "date",
            f"every one of the {n_dates} dates {spacing}: the service reads units sold per "
            "day; send a row for each day a SKU sold (a day without a row counts as none sold), "
            "or forecast the totals with `ordersight forecast`",
        )
    ]


def _daily(history: pd.DataFrame) -> pd.DataFrame:
    """One row per day, SKU and warehouse, as sales exports rarely are (a row per order line or
    per channel, returns as negative rows): units summed and netted at 0, the price weighted by
    the units sold, the day's promotion and traffic as their largest row (repeated per line)."""
    keys = list(KEYS["history"])
    if history.duplicated(keys).any():
        agg = {"qty": "sum"} | {c: "max" for c in ("promo", "traffic", "price") if c in history}
        frame = history
        if "price" in history:
            sold = history["qty"].clip(lower=0)
            frame = history.assign(_sold=sold, _paid=history["price"] * sold)
            agg |= {"_sold": "sum", "_paid": "sum"}
        out = frame.groupby(keys, as_index=False, sort=False).agg(agg)
        if "price" in history:
            out["price"] = (out["_paid"] / out["_sold"]).where(out["_sold"] > 0, out["price"])
        history = out[list(history.columns)]
    return history.assign(qty=history["qty"].clip(lower=0))


def stage_in_name(name: object, category: object = None) -> float:
    """The formula stage a product name writes once (飞鹤星飞帆3段幼儿配方奶粉700g → 3), NaN for a
    name that is not infant formula's (by its words or its ``category``: 惠氏S-26铂臻 3段 in
    奶粉) or writes no stage, or two."""
    if not isinstance(name, str):
        return np.nan
    if not _FORMULA_WORDS.search(name) and not (
        isinstance(category, str) and _FORMULA_WORDS.search(category)
    ):
        return np.nan
    found = STAGE_IN_NAME.findall(name)
    if len(found) != 1:
        return np.nan
    return float("".join(found[0]).translate(_STAGE_DIGITS))


def _finish(out: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "catalog":
        out["price_floor"] = out.get("price_floor", pd.Series(np.nan, index=out.index))
        # shop exports often carry no stage column: the stage is in the product's name
        stage = out.get("stage", pd.Series(np.nan, index=out.index))
        named = [stage_in_name(n, c) for n, c in zip(out["name"], out["category"], strict=True)]
        out["stage"] = stage.where(stage.notna(), pd.Series(named, index=out.index))
        out["max_qty_per_order"] = out.get("max_qty_per_order", pd.Series(np.nan, index=out.index))
    return out.reset_index(drop=True)


def read_csv(path: Path | str, kind: str, *, totals: bool = False) -> pd.DataFrame:
    """Read and validate one reference CSV; raises ReferenceFileError naming file, row, column
    (``totals``: see :func:`validate_frame`)."""
    path = Path(path)
    try:
        text = decode_text(path.read_bytes())
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ReferenceFileError(path.name, [Problem(None, None, str(exc))]) from exc
    return validate_frame(raw, kind, path.name, totals=totals)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030: Excel in China saves CSV as GBK, which
    GB18030 contains. A file that is neither raises UnicodeDecodeError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


@dataclass
class ReferenceData:
    """Catalog, warehouses and stock as validated frames, indexed for fast lookups."""

    catalog: pd.DataFrame
    warehouses: pd.DataFrame
    stock: pd.DataFrame
    version: str = ""
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    # when the stock numbers were taken (epoch seconds): orders created before are in them
    # (None: when they were loaded)
    stock_as_of: float | None = None

    @classmethod
    def from_dir(cls, directory: Path | str, history_days: int = HISTORY_DAYS) -> ReferenceData:
        """Catalog, warehouses, stock, and the recent tail of ``history.csv`` when present
        (sales velocity and recent prices for the order features)."""
        directory = Path(directory)
        frames = {
            k: read_csv(directory / f"{k}.csv", k) for k in ("catalog", "warehouses", "stock")
        }
        stamp = max((directory / f"{k}.csv").stat().st_mtime_ns for k in frames)
        ref = cls(
            frames["catalog"],
            frames["warehouses"],
            frames["stock"],
            version=str(stamp),
            stock_as_of=(directory / "stock.csv").stat().st_mtime,
        )
        if (directory / "history.csv").exists():
            history = read_csv(directory / "history.csv", "history")
            recent = history["date"] > history["date"].max() - pd.Timedelta(days=history_days)
            ref.extra["history"] = history[recent].reset_index(drop=True)
        return ref
