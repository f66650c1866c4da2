"""Split address fields joined into one string for the parser.

Many exports fill the detail with the full address (浙江省 杭州市 西湖区 文三路90号) beside the
region fields, or start it at the city or the district. Joined behind the fields, those levels
would read as written twice (ADDR_REDUNDANT); the levels the detail starts with are therefore not
joined again. The levels written twice inside the detail itself (杭州市西湖区杭州市西湖区…) stay
twice: that is a repeat.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ordersight.gazetteer import CITY, DISTRICT, PLACEHOLDERS, PROVINCE, is_full_name, short_name

Level = tuple[int, str]  # (PROVINCE | CITY | DISTRICT, the field's name)

_BETWEEN_LEVELS = " \t\u3000,，-/"  # what exports write between the levels of a full address
# what a detail may write after a region field sent short (浙江省, 广西壮族自治区, 阿坝…自治州)
_SUFFIX = re.compile(r"[省市区县州旗盟]|地区|特别行政区|[^\s\d,，省市]{0,8}?自治[区州县旗]")


def joined(province: str | None, city: str | None, district: str | None, detail: str | None) -> str:
    """The fields as one address: the region fields the detail does not start with, then it."""
    detail = detail or ""
    levels = _levels(province, city, district)
    return _glued([name for _, name in levels[: _repeat_from(levels, detail)]] + [detail])


def with_raw(raw: str, province: str | None, city: str | None, district: str | None) -> str:
    """A raw address sent beside region fields: the fields it does not start with joined before
    it (a detail sent as the raw string: 文三路90号, or 西湖区文三路90号, beside 浙江省 杭州市
    西湖区), and itself as sent where it names a level elsewhere (张三 138… 浙江省杭州市…)."""
    levels = _levels(province, city, district)
    if not levels:
        return raw
    k = _repeat_from(levels, raw)
    elsewhere = k == len(levels) and any(  # a name's short form is in each of its forms
        name not in PLACEHOLDERS and _name_forms(name, level)[1] in raw for level, name in levels
    )
    return raw if elsewhere else _glued([name for _, name in levels[:k]] + [raw])


def _levels(province: str | None, city: str | None, district: str | None) -> list[Level]:
    """The region fields given, each with its level."""
    fields = ((PROVINCE, province), (CITY, city), (DISTRICT, district))
    return [(level, name) for level, name in fields if name]


def _glued(parts: list[str]) -> str:
    """The parts as one string, a space between two written in Latin letters or digits
    (Zhejiang Hangzhou Xihu District: glued, no word of it would read)."""
    text = ""
    for part in parts:
        if text and part and _latin(text[-1]) and _latin(part[0]):
            text += " "
        text += part
    return text


def _latin(char: str) -> bool:
    """A Latin letter or an ASCII digit (ends of words that need a space between them)."""
    return char.isascii() and char.isalnum()


def _repeat_from(levels: list[Level], detail: str) -> int:
    """How many of the region fields ``levels`` come before the first one ``detail`` starts with
    (all of them where it starts with none)."""
    opening = detail.lstrip(_BETWEEN_LEVELS)[:2]  # every form of a name keeps its first two
    if len(opening) == 2 and any(name[:2] == opening for _, name in levels):  # else none repeats
        for k, (_, name) in enumerate(levels):
            named = [lv for lv in levels[k:] if lv[1] not in PLACEHOLDERS]  # not 市辖区
            if name not in PLACEHOLDERS and _starts_with_levels(detail, named):
                return k
    return len(levels)


def _starts_with_levels(detail: str, levels: list[Level], at: int = 0) -> bool:
    """Whether ``detail`` opens (from ``at``, after the levels before) with ``levels`` in order,
    apart from what exports write between them and how each may be written there
    (:func:`_lengths`: 济南市中区 is 济南 and 市中区, not 济南市 and 中区)."""
    if not levels:
        return True
    alone = at == 0 and len(levels) == 1
    while at < len(detail) and detail[at] in _BETWEEN_LEVELS:
        at += 1
    (level, name), rest = levels[0], levels[1:]
    lengths = _lengths(detail, at, level, name, last=not rest, alone=alone)
    once = rest[1:] if rest and _one_division(levels[0], rest[0]) else None
    return any(
        _starts_with_levels(detail, rest, at + n)
        or (once is not None and _starts_with_levels(detail, once, at + n))
        for n in lengths
    )


@lru_cache(maxsize=8192)
def _name_forms(name: str, level: int) -> tuple[bool, str]:
    """Whether a field's name is written in full, and its short form (cached: names repeat)."""
    return is_full_name(name), short_name(name, level)


def _one_division(upper: Level, lower: Level) -> bool:
    """Whether two fields name one division at two levels (北京市 北京市, 潜江 潜江市), which a
    detail may write once; 淮安市 and its 淮安区 are two."""
    up_full, up_short = _name_forms(upper[1], upper[0])
    low_full, low_short = _name_forms(lower[1], lower[0])
    return upper[1] == lower[1] or (not (up_full and low_full) and up_short == low_short)


def _lengths(detail: str, at: int, level: int, name: str, last: bool, alone: bool) -> list[int]:
    """The lengths ``detail`` may write the region field ``name`` in from ``at``, longest first.
    A field in full is written whole, or above the last level short (浙江省 → 浙江, 内蒙古自治区
    → 内蒙古); a field written short may be followed by its suffix (浙江 → 浙江省, 广西 → 广西
    壮族自治区). The last level written short needs its suffix where it is the only level
    repeated, so a street named after the district (西湖文化广场 in a field written 西湖) is not
    taken for it."""
    full, short = _name_forms(name, level)
    if full:
        forms = [name, short] if not last and short != name else [name]
        return [len(form) for form in forms if detail.startswith(form, at)]
    if not detail.startswith(name, at):
        return []
    suffix = _SUFFIX.match(detail, at + len(name))
    with_suffix = [len(name) + suffix.end() - suffix.start()] if suffix else []
    return with_suffix + ([] if alone else [len(name)])
