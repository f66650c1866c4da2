"""Region accuracy on hand-written addresses in the shapes real customers type (all 31
provinces, short and former names, county-level cities, 省直辖, 东莞 towns, pasted names and
phones, picker placeholders, traditional and full-width characters), side by side with cpca."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.address import parse_addresses
from training.address import LEVELS, cpca_regions, region_accuracy

DATA = Path(__file__).resolve().parents[1] / "data" / "real_style_addresses.csv"


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return pd.read_csv(DATA, dtype=str, keep_default_na=False)


def test_the_set_covers_every_province(truth: pd.DataFrame) -> None:
    assert len(truth) >= 150
    assert truth["province"].nunique() == 31


def test_accuracy_gate_and_no_worse_than_cpca(truth: pd.DataFrame) -> None:
    texts = truth["text"].tolist()
    parsed = parse_addresses(texts)
    ours = region_accuracy(pd.DataFrame([{lv: getattr(p, lv) for lv in LEVELS} for p in parsed]),
                           truth[list(LEVELS)])  # fmt: skip
    theirs = region_accuracy(cpca_regions(texts), truth[list(LEVELS)])
    for level in (*LEVELS, "all"):
        print(f"{level:9s} ours {ours[level]:.4f}  cpca {theirs[level]:.4f}")
    wrong = [(t, p.province, p.city, p.district) for t, p, row in
             zip(texts, parsed, truth.itertuples(), strict=True)
             if (p.province or "", p.city or "", p.district or "")
             != (row.province, row.city, row.district)]  # fmt: skip
    for level in LEVELS:
        assert ours[level] >= 0.95, wrong[:10]
        assert ours[level] >= theirs[level]
