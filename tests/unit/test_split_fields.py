"""Split region fields beside a detail, as every division of the gazetteer is written by exports:
the order reads as its district with no defect however the detail repeats the fields."""

from __future__ import annotations

import random

import pytest

from features.address import parse_addresses
from ordersight.gazetteer import DISTRICT, MUNICIPALITIES, is_full_name, load_gazetteer
from ordersight.schema import OrderAddress


def _variants(adcode: str, rng: random.Random) -> dict[str, OrderAddress]:
    gaz = load_gazetteer()
    p, c, d = gaz.names(adcode)
    assert p and c and d
    ps = gaz[adcode[:2] + "0000"].short
    cs = next(r.short for r in gaz.chain(adcode) if r.name == c)
    door = f"人民路{rng.randrange(1, 300)}号"
    upper = [p] if c == d else [p, c]  # a 省直辖 county (潜江市) stands at both levels
    short = [ps] if c == d else [ps, cs]
    full, short_fields = {"province": p, "city": c, "district": d}, {"province": ps, "city": cs}
    out = {
        "fields": OrderAddress(**full, detail=door),
        "full detail": OrderAddress(**full, detail=" ".join([*upper, d, door])),
        "from the city": OrderAddress(**full, detail="".join([*upper[1:], d, door])),
        "short fields, full detail": OrderAddress(**short_fields, district=d,
                                                  detail="".join([*upper, d, door])),
        "full fields, short detail": OrderAddress(**full, detail="".join([*short, d, door])),
    }  # fmt: skip
    if is_full_name(d):  # 西沙群岛 alone could be a place named after it
        out["from the district"] = OrderAddress(**full, detail=d + door)
    if adcode[:2] + "0000" in MUNICIPALITIES:
        out["picker placeholder"] = OrderAddress(**full | {"city": "市辖区"}, detail=p + d + door)
    return out


def test_every_district_reads_once_however_the_detail_repeats_its_fields() -> None:
    rng = random.Random(1)
    gaz = load_gazetteer()
    rows = [
        (adcode, style, address)
        for adcode in sorted(r.adcode for r in gaz.of_level(DISTRICT))
        for style, address in _variants(adcode, rng).items()
    ]
    assert len(rows) > 5 * 2800
    parsed = parse_addresses([address.text() for _, _, address in rows])
    wrong = [
        (style, address.text(), p.adcode, p.defects)
        for (adcode, style, address), p in zip(rows, parsed, strict=True)
        if p.adcode != adcode or p.defects
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        (("浙江省", "杭州市", "西湖区"), "杭州市西湖区杭州市西湖区文三路90号"),
        (("浙江省", "杭州市", "西湖区"), "西湖区西湖区文三路90号"),
        (("广西壮族自治区", "南宁市", "青秀区"), "广西南宁青秀区青秀区民族大道100号"),
    ],
)
def test_the_levels_written_twice_in_the_detail_are_a_repeat(fields: tuple, detail: str) -> None:
    p, c, d = fields
    address = OrderAddress(province=p, city=c, district=d, detail=detail)
    assert parse_addresses([address.text()])[0].defects == ("ADDR_REDUNDANT",)
