"""The demo world's products, warehouses and customer population.

Price levels follow what these categories cost on Chinese platforms (a 900 g can of formula
≈ 200–450 CNY, an air fryer ≈ 200–600 CNY); cost < price floor < list price everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ordersight.gazetteer import DISTRICT, Gazetteer, haversine_km

# brand code, Chinese name, price per 900 g at list
FORMULA_BRANDS = (
    ("A2", "a2至初", 398), ("FH", "飞鹤星飞帆", 328), ("JLB", "君乐宝优萃", 268),
    ("YL", "伊利金领冠", 298), ("WY", "惠氏启赋", 428), ("MZC", "美赞臣蓝臻", 398),
    ("NE", "雀巢能恩", 238), ("ATM", "爱他美卓萃", 448), ("BYM", "贝因美", 198),
    ("HSY", "合生元派星", 358),
)  # fmt: skip
FORMULA_SIZES = ((400, 0.5), (800, 0.92), (900, 1.0))
# category, sku prefix, (name, low, high list price), max qty per order
GOODS: dict[str, tuple[str, tuple[tuple[str, float, float], ...], int]] = {
    "mother_baby": (
        "MB",
        (
            ("花王妙而舒纸尿裤L54片", 89, 139),
            ("帮宝适一级帮拉拉裤XL", 99, 169),
            ("好奇心钻装纸尿裤M", 109, 179),
            ("全棉时代婴儿湿巾80抽", 19.9, 39.9),
            ("贝亲宽口径玻璃奶瓶240ml", 99, 159),
            ("babycare婴儿推车", 899, 1999),
            ("十月结晶储奶袋", 39, 69),
            ("袋鼠妈妈孕妇护肤套装", 199, 399),
            ("可优比婴儿洗衣液", 39, 79),
            ("英氏米粉", 59, 99),
        ),
        10,
    ),
    "appliances": (
        "APL",
        (
            ("美的空气炸锅5L", 229, 499),
            ("苏泊尔电饭煲4L", 199, 459),
            ("九阳破壁机", 399, 1299),
            ("科沃斯扫地机器人", 1999, 4999),
            ("戴森吹风机", 2990, 3490),
            ("小米电热水壶", 59, 129),
            ("格力空气净化器", 999, 2999),
            ("海尔净水器", 1299, 3999),
            ("飞利浦电动牙刷", 299, 899),
            ("松下除螨仪", 399, 799),
        ),
        5,
    ),
    "beauty": (
        "BTY",
        (
            ("雅诗兰黛小棕瓶精华50ml", 690, 1040),
            ("兰蔻粉水400ml", 395, 680),
            ("SK-II神仙水230ml", 1370, 1690),
            ("完美日记口红", 59, 129),
            ("珀莱雅双抗精华", 239, 369),
            ("薇诺娜舒敏保湿霜", 198, 298),
            ("安热沙防晒霜60ml", 168, 258),
            ("欧莱雅复颜面霜", 299, 459),
            ("自然堂面膜10片", 89, 139),
            ("花西子散粉", 149, 219),
        ),
        6,
    ),
    "food": (
        "FD",
        (
            ("三只松鼠每日坚果750g", 99, 159),
            ("蒙牛特仑苏纯牛奶12盒", 59, 79),
            ("五常大米5kg", 69, 129),
            ("雀巢咖啡礼盒", 79, 139),
            ("良品铺子零食大礼包", 89, 169),
            ("金龙鱼食用油5L", 69, 99),
            ("农夫山泉饮用水24瓶", 36, 49),
            ("五芳斋粽子礼盒", 99, 199),
            ("西湖龙井茶叶250g", 198, 598),
            ("稻香村月饼礼盒", 128, 298),
        ),
        50,
    ),
    "3c": (
        "3C",
        (
            ("华为FreeBuds耳机", 699, 1299),
            ("小米充电宝20000mAh", 129, 199),
            ("苹果iPhone 15 128G", 5999, 6999),
            ("华为MatePad平板", 2299, 3999),
            ("罗技无线键鼠套装", 149, 299),
            ("绿联Type-C数据线", 19.9, 49),
            ("小米手环8", 239, 299),
            ("荣耀笔记本", 4599, 6999),
            ("漫步者蓝牙音箱", 199, 499),
            ("闪迪U盘128G", 59, 109),
        ),
        3,
    ),
}
GOODS_COUNTS = {"mother_baby": 80, "appliances": 70, "beauty": 90, "food": 100, "3c": 60}

# warehouse id, city label, adcode of the logistics park district
WAREHOUSES = (
    ("WH-BJ", "北京大兴仓", "110115"), ("WH-SH", "上海青浦仓", "310118"),
    ("WH-GZ", "广州白云仓", "440111"), ("WH-CD", "成都双流仓", "510116"),
    ("WH-WH", "武汉蔡甸仓", "420114"), ("WH-XA", "西安长安仓", "610116"),
    ("WH-SY", "沈阳于洪仓", "210114"), ("WH-HZ", "杭州余杭仓", "330110"),
)  # fmt: skip

TIER1 = {"北京市", "上海市", "广州市", "深圳市"}
NEW_TIER1 = {"成都市", "杭州市", "重庆市", "武汉市", "西安市", "苏州市", "天津市", "南京市",
             "长沙市", "郑州市", "东莞市", "青岛市", "沈阳市", "宁波市", "昆明市"}  # fmt: skip
# rough relative online spend per province (coastal east high, west low)
PROVINCE_FACTOR = {
    "广东省": 2.2, "浙江省": 2.0, "江苏省": 1.9, "上海市": 1.8, "北京市": 1.8, "山东省": 1.4,
    "福建省": 1.4, "天津市": 1.2, "四川省": 1.2, "湖北省": 1.1, "河南省": 1.1, "湖南省": 1.0,
    "安徽省": 1.0, "重庆市": 1.0, "河北省": 0.9, "陕西省": 0.9, "辽宁省": 0.9, "江西省": 0.8,
    "广西壮族自治区": 0.7, "云南省": 0.7, "山西省": 0.7, "贵州省": 0.6, "吉林省": 0.6,
    "黑龙江省": 0.6, "内蒙古自治区": 0.5, "海南省": 0.6, "新疆维吾尔自治区": 0.4,
    "甘肃省": 0.45, "宁夏回族自治区": 0.4, "青海省": 0.3, "西藏自治区": 0.25,
}  # fmt: skip


def _prices(rng: np.random.Generator, lists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost and floor as shares of list, over the spread real catalogs show: formula and 3C sell
    near cost, beauty and apparel far above it. Cost 15–92 %, floor between cost + 5 % and 97 %.

    With one narrow band (cost 40–65 %, floor 72–88 %) the price model learned "a unit price
    under 72 % of list is below the floor" from the list alone: on a catalog made elsewhere it
    passed lines sold under a thin margin's cost and held clean clearance sales of fat margins.
    """
    cost_share = rng.uniform(0.15, 0.92, len(lists))
    low = cost_share * 1.05
    floor_share = low + rng.uniform(0.0, 1.0, len(lists)) * np.maximum(0.97 - low, 0.0)
    cost = np.round(lists * cost_share, 2)
    floor = np.round(np.maximum(lists * floor_share, cost * 1.05), 2)
    return cost, floor


def build_catalog(rng: np.random.Generator) -> pd.DataFrame:
    """≥ 500 SKUs: 120 infant-formula SKUs (10 brands × 4 stages × 3 sizes) plus goods."""
    rows: list[dict[str, object]] = []
    for code, brand, per900 in FORMULA_BRANDS:
        for stage in (1, 2, 3, 4):
            for grams, share in FORMULA_SIZES:
                price = round(per900 * share * (1.04 if stage == 1 else 1.0) - 0.01 * (stage > 2))
                rows.append(
                    {
                        "sku": f"MILK-{code}-S{stage}-{grams}",
                        "name": f"{brand}{stage}段婴幼儿配方奶粉{grams}g",
                        "category": "infant_formula",
                        "list_price": float(price),
                        "stage": stage,
                        "max_qty_per_order": 6,
                    }
                )
    for category, (prefix, items, max_qty) in GOODS.items():
        for i in range(GOODS_COUNTS[category]):
            name, low, high = items[i % len(items)]
            variant = i // len(items)
            price = float(np.round(rng.uniform(low, high), 0)) - (0.1 if rng.random() < 0.3 else 0)
            rows.append(
                {
                    "sku": f"{prefix}-{i + 1:04d}",
                    "name": f"{name} 款{variant + 1}" if variant else name,
                    "category": category,
                    "list_price": round(max(price, 9.9), 2),
                    "stage": None,
                    "max_qty_per_order": max_qty,
                }
            )
    frame = pd.DataFrame(rows)
    frame["cost"], frame["price_floor"] = _prices(rng, frame["list_price"].to_numpy())
    frame["stage"] = frame["stage"].astype("Int64")
    cols = ["sku", "name", "category", "list_price", "cost", "price_floor", "stage"]
    return frame[[*cols, "max_qty_per_order"]]


def build_warehouses(gaz: Gazetteer, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for wid, name, adcode in WAREHOUSES:
        region = gaz[adcode]
        capacity = int(rng.integers(30, 90)) * 10_000
        rows.append((wid, name, adcode, region.lon, region.lat, capacity))
    return pd.DataFrame(rows, columns=["warehouse_id", "name", "adcode", "lon", "lat",
                                       "capacity_units"])  # fmt: skip


def build_regions(
    gaz: Gazetteer, warehouses: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Every district with a demand weight (big cities far more) and its nearest warehouse."""
    rows = []
    for region in sorted(gaz.of_level(DISTRICT), key=lambda r: r.adcode):
        province, city, district = gaz.names(region.adcode)
        factor = PROVINCE_FACTOR.get(province or "", 0.6)
        if city in TIER1:
            factor *= 6.0
        elif city in NEW_TIER1:
            factor *= 3.5
        elif _is_capital(region.adcode):
            factor *= 2.5
        urban = 1.6 if district and district.endswith("区") else 0.7
        weight = factor * urban * float(rng.lognormal(0.0, 0.5))
        dists = [
            haversine_km(region.lon, region.lat, w.lon, w.lat) for w in warehouses.itertuples()
        ]
        nearest = warehouses["warehouse_id"].iloc[int(np.argmin(dists))]
        rows.append((region.adcode, province, city, district, nearest, weight))
    frame = pd.DataFrame(rows, columns=["adcode", "province", "city", "district", "warehouse_id",
                                        "weight"])  # fmt: skip
    frame["weight"] = (frame["weight"] / frame["weight"].sum()).round(8)
    return frame


def _is_capital(adcode: str) -> bool:
    """Provincial capitals carry the first city code of their province (xx01xx)."""
    return adcode[2:4] == "01"
