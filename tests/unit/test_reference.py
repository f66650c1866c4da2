"""Reference loaders reject a bad file as a whole, naming the row and column of the problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ordersight.reference import ReferenceData, ReferenceFileError, read_csv

STOCK = "warehouse_id,sku,on_hand,reserved,in_transit\nWH-SH,A,10,2,0\nWH-SH,B,5,0,3\n"
CATALOG = "sku,name,category,list_price,cost,price_floor,stage,max_qty_per_order\n" \
    "MILK-1,奶粉,infant_formula,298,150,240,3,6\nFD-1,大米,food,69,30,,,\n"  # fmt: skip
WAREHOUSES = (
    "warehouse_id,name,adcode,lon,lat,capacity_units\nWH-SH,上海仓,310118,121.1,31.1,1000\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, kind: str) -> list[tuple[int | None, str | None]]:
    with pytest.raises(ReferenceFileError) as err:
        read_csv(path, kind)
    assert err.value.file == path.name and path.name in str(err.value)
    return [(p.row, p.column) for p in err.value.problems]


def test_valid_files_load_with_types(tmp_path: Path) -> None:
    stock = read_csv(write(tmp_path, "stock.csv", STOCK), "stock")
    assert stock["on_hand"].tolist() == [10, 5]
    catalog = read_csv(write(tmp_path, "catalog.csv", CATALOG), "catalog")
    assert catalog["price_floor"].isna().tolist() == [False, True]  # optional blanks are fine
    warehouses = read_csv(write(tmp_path, "warehouses.csv", WAREHOUSES), "warehouses")
    assert warehouses["adcode"].tolist() == ["310118"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (STOCK.replace("WH-SH,B,5,0,3", "WH-SH,B,-5,0,3"), (3, "on_hand")),
        (STOCK.replace("WH-SH,B,5,0,3", "WH-SH,B,5,zero,3"), (3, "reserved")),
        (STOCK.replace("WH-SH,A,10,2,0", "WH-SH,A,10.5,2,0"), (2, "on_hand")),
        (STOCK.replace("WH-SH,B,5,0,3", ",B,5,0,3"), (3, "warehouse_id")),
    ],
)
def test_bad_cell_is_reported_with_spreadsheet_row_and_column(
    tmp_path: Path, text: str, where: tuple[int, str]
) -> None:
    assert problems(write(tmp_path, "stock.csv", text), "stock")[0] == where


def test_a_catalog_listing_a_sku_twice_is_refused(tmp_path: Path) -> None:
    twice = CATALOG + "MILK-1,奶粉,infant_formula,299,150,240,3,6\n"
    assert problems(write(tmp_path, "catalog.csv", twice), "catalog") == [(4, "sku")]


def test_stock_listed_per_lot_is_summed_per_warehouse_and_sku(tmp_path: Path) -> None:
    """WMS exports list stock per lot or bin (批次, 库位): one SKU's rows in a warehouse add up."""
    per_lot = STOCK + "WH-SH,A,4,1,2\n"
    stock = read_csv(write(tmp_path, "stock.csv", per_lot), "stock").set_index("sku")
    assert len(stock) == 2
    assert stock.loc["A", ["on_hand", "reserved", "in_transit"]].tolist() == [14, 3, 2]


def test_warehouses_without_coordinates_are_placed_at_their_division(tmp_path: Path) -> None:
    text = "warehouse_id,name,adcode,capacity_units\nWH-HZ,杭州仓,330106,1000\nWH-X,某仓,990000,1\n"
    assert problems(write(tmp_path, "warehouses.csv", text), "warehouses") == [(3, "lon")]
    placed = read_csv(write(tmp_path, "w.csv", text.rsplit("WH-X", 1)[0]), "warehouses")
    assert placed[["lon", "lat"]].round(0).values.tolist() == [[120.0, 30.0]]  # 西湖区


def test_coordinates_outside_china_are_refused(tmp_path: Path) -> None:
    swapped = WAREHOUSES.replace("121.1,31.1", "31.1,121.1")
    assert problems(write(tmp_path, "warehouses.csv", swapped), "warehouses") == [
        (2, "lon"),
        (2, "lat"),
    ]


def test_missing_columns_and_typos_of_known_ones_are_refused(tmp_path: Path) -> None:
    text = "warehouse_id,sku,on_hand,in_transit,colour\nWH-SH,A,1,0,red\n"
    assert problems(write(tmp_path, "stock.csv", text), "stock") == [(1, "reserved")]
    typo = CATALOG.replace("price_floor", "price_flor")  # optional: would be dropped unseen
    assert problems(write(tmp_path, "catalog.csv", typo), "catalog") == [(1, "price_flor")]


def test_exports_from_elsewhere_load(tmp_path: Path) -> None:
    """Other columns, headers in other case or spacing, money and days as spreadsheets and ERP
    exports write them."""
    catalog = (
        " SKU ,Name,Category,List Price,cost,Stage,brand,barcode\n"
        'MILK-1,奶粉,infant_formula,"¥1,299.00",150元,3段,a2,6900000000001\n'
        "MILK-2,奶粉,infant_formula,299,150,Stage 1,a2,6900000000002\n"
        "MILK-3,奶粉,infant_formula,299,150,二段,a2,6900000000003\n"
        "MILK-4,奶粉,infant_formula,299,150,第3阶段,a2,6900000000004\n"
        "MILK-5,奶粉,infant_formula,299,150,Step 2,a2,6900000000005\n"
    )
    got = read_csv(write(tmp_path, "catalog.csv", catalog), "catalog")
    assert got[["sku", "list_price", "cost"]].values.tolist()[0] == ["MILK-1", 1299.0, 150]
    assert got["stage"].tolist() == [3, 1, 2, 3, 2]
    assert "brand" not in got.columns
    history = 'date,sku,warehouse_id,qty\n2025年1月5日,A,WH-SH,"1,200"\n2025/1/6,A,WH-SH,3\n'
    got = read_csv(write(tmp_path, "history.csv", history), "history")
    assert got["date"].dt.day.tolist() == [5, 6] and got["qty"].tolist() == [1200, 3]
    bad = history.replace('"1,200"', '"1,20"')  # not a thousands separator: still refused
    assert problems(write(tmp_path, "history.csv", bad), "history") == [(2, "qty")]


def test_a_formula_stage_written_only_in_the_name_is_read_from_it(tmp_path: Path) -> None:
    """Shop exports carry no stage column: the compliance rule would never see a stage. A name
    that is infant formula's and writes one stage gives it; the column wins where it has one."""
    catalog = (
        "sku,name,category,list_price,cost,stage\n"
        "F3,飞鹤星飞帆3段幼儿配方奶粉700g,母婴,298,150,\n"
        "F2,美素佳儿 二段 较大婴儿配方奶粉,母婴,298,150,\n"
        "A1,Aptamil Stage 1 infant formula 800g,母婴,298,150,\n"
        "K1,佳贝艾特 1段 羊奶粉,母婴,298,150,2\n"  # the column says 2
        # shop titles without the formula's words: a stage as 阶段 or Step, a can, the legal
        # name of follow-on formula, or a category that says formula
        "J2,君乐宝至臻 第2阶段 奶粉,母婴,298,150,\n"
        "N2,雀巢超启能恩2段 800g*2罐,母婴,298,150,\n"
        "B2,a2 紫白金版 2段 较大婴儿,母婴,298,150,\n"
        "W3,惠氏S-26铂臻 3段,婴幼儿奶粉,298,150,\n"
        "O2,澳优能立多 Step 2,infant_formula,298,150,\n"
        "SW,三段式开关,家电,98,50,\n"  # not formula
        "MX,奶粉 1段 2段 组合装,母婴,598,300,\n"  # two stages: none
        "XB,学步鞋 一段 0-1岁,母婴,98,50,\n"  # shoes sold by stage
        "BB,贝亲学饮杯 三阶段,母婴,98,50,\n"
    )
    got = read_csv(write(tmp_path, "catalog.csv", catalog), "catalog")
    assert got["stage"].tolist()[:9] == [3, 2, 1, 2, 2, 2, 2, 3, 2]
    assert got["stage"].isna().tolist()[9:] == [True] * 4
    bare = "sku,name,category,list_price,cost\nF3,飞鹤星飞帆3段幼儿配方奶粉700g,母婴,298,150\n"
    assert read_csv(write(tmp_path, "bare.csv", bare), "catalog")["stage"].tolist() == [3]


@pytest.mark.parametrize(
    ("kind", "ours", "theirs"),
    [
        (
            "stock",
            STOCK,
            "仓库编码,商品编码,在库数量,占用库存,在途数量\nWH-SH,A,10,2,0\nWH-SH,B,5,0,3\n",
        ),
        (
            "catalog",
            CATALOG,
            "货号,商品名称,类目,吊牌价,成本价,最低价,段位,限购\n"
            "MILK-1,奶粉,infant_formula,298,150,240,3,6\nFD-1,大米,food,69,30,,,\n",
        ),  # fmt: skip
        (
            "warehouses",
            WAREHOUSES,
            "仓库编码,仓库名称,行政区划代码,经度,纬度,库容\nWH-SH,上海仓,310118,121.1,31.1,1000\n",
        ),  # fmt: skip
        (
            "history",
            "date,sku,warehouse_id,qty,price\n2025-01-05,A,WH-SH,3,9.9\n",
            "销售日期,SKU Code,仓库,销量,成交价\n2025-01-05,A,WH-SH,3,9.9\n",
        ),  # fmt: skip
    ],
)
def test_chinese_erp_headers_read_as_the_schema(
    tmp_path: Path, kind: str, ours: str, theirs: str
) -> None:
    """Exports from Chinese ERPs and marketplaces name the columns their own way."""
    expected = read_csv(write(tmp_path, "ours.csv", ours), kind)
    got = read_csv(write(tmp_path, "theirs.csv", theirs), kind)
    assert got.equals(expected)


def test_a_header_alias_never_replaces_the_schemas_own_column(tmp_path: Path) -> None:
    text = "sku,货号,warehouse_id,on_hand,reserved,in_transit\nA,OLD-A,WH-SH,1,0,0\n"
    assert read_csv(write(tmp_path, "stock.csv", text), "stock")["sku"].tolist() == ["A"]


def test_bad_date_and_adcode(tmp_path: Path) -> None:
    history = "date,sku,warehouse_id,qty\n2025-01-01,A,WH-SH,3\n2025-13-45,A,WH-SH,1\n"
    assert problems(write(tmp_path, "history.csv", history), "history") == [(3, "date")]
    bad_adcode = WAREHOUSES.replace("310118", "31011")
    assert problems(write(tmp_path, "warehouses.csv", bad_adcode), "warehouses") == [(2, "adcode")]


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    header_only = write(tmp_path, "stock.csv", "warehouse_id,sku,on_hand,reserved,in_transit\n")
    assert problems(header_only, "stock") == [(None, None)]
    binary = tmp_path / "catalog.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert problems(binary, "catalog")[0] == (None, None)


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    text = STOCK + "WH-BJ,C,-1,0,0\nWH-BJ,D,1,x,0\n"
    assert problems(write(tmp_path, "stock.csv", text), "stock") == [
        (4, "on_hand"),
        (5, "reserved"),
    ]


def test_a_cell_repeated_down_the_file_is_read_and_reported_on_every_row(tmp_path: Path) -> None:
    """Cells are converted once per distinct value: each row still gets its own value and its
    own report (a history repeats dates, SKUs and quantities on every row)."""
    rows = ["2025-01-05,A,WH-SH,3", "2025-01-05,B,WH-SH,x", "2025-01-06,A,WH-SH,3"]
    text = "date,sku,warehouse_id,qty\n" + "\n".join([*rows, rows[1], " 2025-01-06 ,B,WH-SH,3"])
    assert problems(write(tmp_path, "history.csv", text), "history") == [(3, "qty"), (5, "qty")]
    good = text.replace(",x", ",4")
    history = read_csv(write(tmp_path, "history.csv", good + "\n"), "history")
    assert history[["sku", "qty"]].values.tolist() == [["A", 3], ["B", 8], ["A", 3], ["B", 3]]
    assert history["date"].dt.day.tolist() == [5, 5, 6, 6]


def test_reference_dir_refuses_a_bad_file_whole(tmp_path: Path) -> None:
    write(tmp_path, "catalog.csv", CATALOG)
    write(tmp_path, "warehouses.csv", WAREHOUSES)
    write(tmp_path, "stock.csv", STOCK.replace("5,0,3", "5,0,-3"))
    with pytest.raises(ReferenceFileError, match="stock.csv"):
        ReferenceData.from_dir(tmp_path)
    write(tmp_path, "stock.csv", STOCK)
    assert len(ReferenceData.from_dir(tmp_path).stock) == 2


def test_demo_world_files_load(small_world: Path) -> None:
    ref = ReferenceData.from_dir(small_world)
    assert len(ref.catalog) >= 500 and len(ref.stock) > 0
    assert len(read_csv(small_world / "history.csv", "history")) > 0


def test_a_history_export_is_read_as_one_row_per_day_sku_and_warehouse(tmp_path: Path) -> None:
    """A row per order line, a time of day and a return: one day of 4 units at 16 on average."""
    text = (
        "date,sku,warehouse_id,qty,price,traffic\n"
        "2025-01-05 09:00,A,WH-SH,2,10,100\n2025-01-05 12:00,A,WH-SH,3,20,100\n"
        "2025-01-05,A,WH-SH,-1,10,100\n2025-01-06,A,WH-SH,-2,10,50\n2025-01-06,B,WH-SH,1,5,50\n"
    )
    got = read_csv(write(tmp_path, "history.csv", text), "history")
    rows = got.assign(date=got["date"].dt.day).values.tolist()
    assert rows == [[5, "A", "WH-SH", 4, 16.0, 100], [6, "A", "WH-SH", 0, 10.0, 50],
                    [6, "B", "WH-SH", 1, 5.0, 50]]  # fmt: skip


def _history_on(days: list[str]) -> str:
    return "date,sku,warehouse_id,qty\n" + "".join(f"{d},A,WH-SH,70\n{d},B,WH-SH,7\n" for d in days)


@pytest.mark.parametrize(
    ("dates", "spacing"),
    [
        (pd.date_range("2025-01-05", periods=30, freq="W-SUN"), "is a Sunday (weekly totals?)"),
        (pd.date_range("2024-01-31", periods=12, freq="ME"), "one day of its month (monthly"),
    ],
)
def test_weekly_or_monthly_totals_are_refused_as_a_daily_history(
    tmp_path: Path, dates: pd.DatetimeIndex, spacing: str
) -> None:
    """Read as days, weekly totals would be six days in seven without a sale: the service's
    history is refused (the spacing itself: test_periods.py); the forecast command reads the
    same file as totals."""
    path = write(tmp_path, "history.csv", _history_on([str(d.date()) for d in dates]))
    with pytest.raises(ReferenceFileError) as err:
        read_csv(path, "history")
    (problem,) = err.value.problems
    assert problem.column == "date" and spacing in problem.message
    assert f"every one of the {len(dates)} dates" in problem.message
    assert read_csv(path, "history", totals=True)["date"].nunique() == len(dates)


@pytest.mark.parametrize(
    "dates",
    [
        pd.date_range("2025-01-05", periods=7, freq="W-SUN"),  # too few dates to tell
        pd.date_range("2025-01-01", periods=60, freq="D")[::5],  # a slow mover's sale days
        pd.date_range("2025-01-01", periods=400, freq="D"),
    ],
)
def test_a_daily_history_of_sparse_sale_days_is_not_taken_for_totals(
    tmp_path: Path, dates: pd.DatetimeIndex
) -> None:
    path = write(tmp_path, "history.csv", _history_on([str(d.date()) for d in dates]))
    assert read_csv(path, "history")["date"].nunique() == len(dates)
