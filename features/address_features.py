"""Numeric features of a parsed address for the defect model — one function for training and
serving, so the two can never drift apart."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter

import numpy as np
import pandas as pd

from features.address_lexicon import EXACT, FORMER, FUZZY, SHORT, get_lexicon
from features.address_outside import is_outside
from features.address_parser import Analysis, analyse
from features.address_text import main_number, phone_kind
from ordersight.codes import codes_of
from ordersight.gazetteer import CITY, COUNTY_SUFFIXES, DISTRICT, PROVINCE

__all__ = ["FEATURES", "address_feature_frame", "address_feature_matrix"]

_ADDR_CODES = codes_of("address")
_BUILDING = re.compile(r"栋|幢|楼|单元|室|号楼|座|层")
_STREET = re.compile(r"路|街|道|巷|弄|胡同|大道")
_NUMBER = re.compile(r"\d+")
_ZONE = re.compile(r"开发区|高新区|园区|新区|工业区")
_TOWN = re.compile(r"镇|乡|街道")
_PHONE_KINDS = ("mobile", "masked", "landline", "invalid", "missing")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_DIGIT = re.compile(r"\D")
_PHONE_COLUMNS = tuple((f"phone_{k}", k) for k in _PHONE_KINDS)
_PARSER_COLUMNS = tuple((f"parser_{c}", c) for c in _ADDR_CODES)


def _no_counties(adcode: str | None) -> bool:
    """东莞, 中山, 儋州, 嘉峪关: a city with no county level is complete without a district."""
    gaz = get_lexicon().gazetteer
    return adcode is not None and gaz[adcode].level == CITY and not gaz.children.get(adcode)


def _county_level(district: str | None, adcode: str | None) -> bool:
    """A county or county-level city (桐庐县, 昆山市), which people write without its prefecture;
    a zone (杭州湾新区, hosted in 慈溪市) is written as itself and does not count."""
    return bool(district and district.endswith(COUNTY_SUFFIXES) and adcode and adcode[4:] != "00")


def _row(a: Analysis) -> dict[str, float]:
    parsed = a.parsed
    if is_outside(parsed.adcode):  # the model never saw one: NaN leaves it to the rules
        return _with_flags(a, dict.fromkeys(_BASE, math.nan))
    kinds = [k for _, _, k in a.consistent]
    level = get_lexicon().level
    short_levels = {level[c] for _, c, k in a.consistent if k == SHORT}
    written = {level[c] for _, c, _ in a.consistent}
    detail = parsed.detail or ""
    fuzzy = [m.similarity for m, _, k in a.consistent if k == FUZZY]
    resolved = {PROVINCE: parsed.province, CITY: parsed.city, DISTRICT: parsed.district}
    no_counties = _no_counties(parsed.adcode)
    row: dict[str, float] = {
        "noise_chars": a.clean.noise_chars,
        "n_phones_in_text": len(a.clean.phones),
        "prefix_len": a.prefix_len,
        "n_blocks": a.n_blocks,
        "n_mentions": len(a.block),
        "n_consistent": len(a.consistent),
        "n_conflicting": len(a.conflicting),
        "n_noise_mentions": len(a.noise),
        "n_exact": kinds.count(EXACT),
        "n_short": kinds.count(SHORT),
        "short_province": PROVINCE in short_levels,
        "short_city": CITY in short_levels,
        "short_district": DISTRICT in short_levels,
        "stray_suffixes": a.stray_suffixes,
        "n_former": kinds.count(FORMER),
        "n_fuzzy": kinds.count(FUZZY),
        "fuzzy_score_min": min(fuzzy, default=1.0),
        "n_hypotheses": a.n_hypotheses,
        "n_top": len(a.top),
        "support_margin": a.support_margin,
        "n_candidates": len(parsed.candidates),
        "conflict_km": a.conflict_km,
        "has_province": resolved[PROVINCE] is not None,
        "has_city": resolved[CITY] is not None,
        "has_district": resolved[DISTRICT] is not None or no_counties,
        "has_adcode": parsed.adcode is not None,
        # what the text names itself: 武汉市东湖高新区 (city + zone) is not 洪山区 alone
        "wrote_province": PROVINCE in written,
        "wrote_city": CITY in written,
        # the county level as written: a district, a zone, or none needed (东莞市长安镇)
        "wrote_district": DISTRICT in written or a.zone or no_counties,
        "zone_district": a.zone,
        # 桐庐县 under 杭州市, 昆山市 under 苏州市: people write a county without its prefecture
        "county_level": _county_level(parsed.district, parsed.adcode),
        "confidence": parsed.confidence,
        "detail_len": len(detail),
        "detail_n_numbers": len(_NUMBER.findall(detail)),
        "detail_has_street": bool(_STREET.search(detail)),
        "detail_has_building": bool(_BUILDING.search(detail)),
        "detail_has_zone": bool(_ZONE.search(detail)),
        "detail_has_town": bool(_TOWN.search(detail)),
        "detail_han_ratio": len(_HAN.findall(detail)) / max(1, len(detail)),
    }
    return _with_flags(a, row)


def _with_flags(a: Analysis, row: dict[str, float]) -> dict[str, float]:
    """``row`` with the phone's kind and the parser's defects (the rules read these)."""
    kind = phone_kind(a.phone)
    for column, name in _PHONE_COLUMNS:
        row[column] = kind == name
    row["phone_len"] = len(_NOT_DIGIT.sub("", main_number(a.phone or "")))
    for column, code in _PARSER_COLUMNS:
        row[column] = code in a.parsed.defects
    return row


# No length of the whole text: the demo world's clean addresses write every level, so such a
# feature learned "short means defective" and held real short ones (西安市高新区锦业路1号).
_BASE = [
    "noise_chars",
    "n_phones_in_text",
    "prefix_len",
    "n_blocks",
    "n_mentions",
    "n_consistent",
    "n_conflicting",
    "n_noise_mentions",
    "n_exact",
    "n_short",
    "short_province",
    "short_city",
    "short_district",
    "stray_suffixes",
    "n_former",
    "n_fuzzy",
    "fuzzy_score_min",
    "n_hypotheses",
    "n_top",
    "support_margin",
    "n_candidates",
    "conflict_km",
    "has_province",
    "has_city",
    "has_district",
    "has_adcode",
    "wrote_province",
    "wrote_city",
    "wrote_district",
    "zone_district",
    "county_level",
    "confidence",
    "detail_len",
    "detail_n_numbers",
    "detail_has_street",
    "detail_has_building",
    "detail_has_zone",
    "detail_has_town",
    "detail_han_ratio",
]
FEATURES: tuple[str, ...] = (
    *_BASE,
    *(f"phone_{k}" for k in _PHONE_KINDS),
    "phone_len",
    *(f"parser_{c}" for c in _ADDR_CODES),
)


_IN_ORDER = itemgetter(*FEATURES)


@lru_cache(maxsize=65_536)
def _feature_row(text: str, phone: str | None) -> bytes:
    """One address's features in :data:`FEATURES` order as float32 bytes; cached beside the
    parse it reads (a batch joins bytes: ~20x cheaper than converting tuples of Python floats)."""
    return np.array(_IN_ORDER(_row(analyse(text, phone))), dtype=np.float32).tobytes()


def address_feature_matrix(
    texts: Sequence[str], phones: Sequence[str | None] | None = None
) -> np.ndarray:
    """One float32 row per address, columns :data:`FEATURES` in order (no pandas: hot path)."""
    phones = phones if phones is not None else [None] * len(texts)
    rows = b"".join(
        _feature_row(text or "", phone) for text, phone in zip(texts, phones, strict=True)
    )
    return np.frombuffer(rows, dtype=np.float32).reshape(len(texts), len(FEATURES)).copy()


def address_feature_frame(
    texts: Sequence[str], phones: Sequence[str | None] | None = None
) -> pd.DataFrame:
    """:func:`address_feature_matrix` as a frame, for training and notebooks."""
    return pd.DataFrame(address_feature_matrix(texts, phones), columns=list(FEATURES))
