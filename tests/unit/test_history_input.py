"""User history files (CONTRACT §4): clear errors for bad files, zero-fill for missing days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.demand import densify
from ordersight.reference import ReferenceFileError
from training.forecast import forecast_file

GOOD = "date,sku,warehouse_id,qty\n2025-01-01,A,W1,3\n2025-01-02,A,W1,4\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        (GOOD + "2025-01-03,A,W1,two\n", 4, "qty"),
        (GOOD + "2025-13-45,A,W1,2\n", 4, "date"),
        ("date,sku,warehose_id,qty\n2025-01-01,A,W1,3\n", 1, "warehouse_id"),
        ("date,sku,qty\n2025-01-01,A,3\n", 1, "warehouse_id"),
    ],
    ids=["bad-number", "bad-date", "near-miss-column", "missing-column"],
)
def test_bad_files_are_rejected_with_row_and_column(tmp_path, text, row, column):
    with pytest.raises(ReferenceFileError) as err:
        forecast_file(_write(tmp_path, text))
    first = err.value.problems[0]
    assert (first.row, first.column) == (row, column)
    assert "history.csv" in str(err.value) and column in str(err.value)


def test_an_export_with_line_rows_returns_and_other_columns_is_read(tmp_path):
    """Same-day rows are summed (a return nets against the day), an unknown column is left out."""
    text = (
        GOOD.replace("qty\n", "qty,colour\n").replace(",3\n", ",3,red\n").replace(",4\n", ",4,\n")
    )
    text += "2025-01-02 15:30:00,A,W1,5,\n2025-01-02,A,W1,-2,\n"
    forecast, summary = forecast_file(_write(tmp_path, text), horizon=2)
    assert summary["n_rows_in"] == 2 and len(forecast) == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_excel_encodings_are_read(tmp_path, encoding):
    """Excel saves CSV with a BOM ("CSV UTF-8") or, on Chinese Windows, as GBK."""
    text = "date,sku,warehouse_id,qty\n2025-01-01,奶粉-1段,上海仓,3\n2025-01-02,奶粉-1段,上海仓,4\n"
    path = tmp_path / "history.csv"
    path.write_bytes(text.encode(encoding))
    forecast, summary = forecast_file(path, horizon=2)
    assert summary["n_rows_in"] == 2
    assert set(forecast["sku"]) == {"奶粉-1段"} and set(forecast["warehouse_id"]) == {"上海仓"}


def test_a_single_day_of_history_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="at least 2 days"):
        forecast_file(_write(tmp_path, "date,sku,warehouse_id,qty\n2025-01-01,A,W1,3\n"))
    forecast, _ = forecast_file(_write(tmp_path, GOOD), horizon=2)  # two days are enough
    assert len(forecast) == 2


def test_densify_counts_and_zero_fills_missing_days():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-03"]),
            "sku": ["A", "A", "B"],
            "warehouse_id": ["W1", "W1", "W1"],
            "qty": [2.0, 1.0, 7.0],
            "price": [10.0, 12.0, 5.0],
        }
    )
    dense = densify(frame)
    a = dense.frame[dense.frame["sku"] == "A"]
    assert a["qty"].tolist() == [2.0, 0.0, 0.0, 0.0, 1.0]
    assert a["price"].tolist() == [10.0, 10.0, 10.0, 10.0, 12.0]  # last known price carried
    assert dense.filled_missing_days == 3 + 2  # A: Jan 2-4; B: Jan 4-5 (series ends together)
    assert dense.n_series == 2


def test_a_series_starts_at_its_first_sale_not_at_listed_zeros():
    """Exports that list every day (M5-style) list zeros before a product's launch too."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"] * 2),
            "sku": ["NEW"] * 4 + ["NEVER"] * 4,
            "warehouse_id": ["W1"] * 8,
            "qty": [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    dense = densify(frame).frame
    assert dense[dense["sku"] == "NEW"]["qty"].tolist() == [3.0, 0.0]
    assert len(dense[dense["sku"] == "NEVER"]) == 4  # never sold: kept as listed


def test_intermittent_history_forecasts_with_summary(tmp_path):
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=240)
    rows = []
    for sku, rate in (("SLOW", 0.15), ("FAST", 20.0)):
        qty = rng.poisson(rate, len(days))
        rows += [(d.date(), sku, "W1", q) for d, q in zip(days, qty, strict=True) if q > 0]
    path = _write(
        tmp_path,
        "date,sku,warehouse_id,qty\n" + "".join(f"{d},{s},{w},{q}\n" for d, s, w, q in rows),
    )
    out = tmp_path / "forecast.csv"
    forecast, summary = forecast_file(path, horizon=7, out=out)
    assert summary["n_series"] == 2
    first = {sku: min(d for d, s, _, _ in rows if s == sku) for sku in ("SLOW", "FAST")}
    span = sum((days[-1].date() - d).days + 1 for d in first.values())
    assert summary["filled_missing_days"] == span - len(rows)
    assert summary["intermittent_series"] == 1
    written = pd.read_csv(out)
    assert list(written.columns) == ["date", "sku", "warehouse_id", "q10", "q50", "q90", "mean"]
    assert len(written) == 14
    amounts = written[["q10", "q50", "q90", "mean"]]
    assert (amounts == amounts.round(3)).all().all()  # a thousandth of a unit, not 16 digits
    assert (written["q10"] <= written["q50"]).all() and (written["q50"] <= written["q90"]).all()
    assert (written["q10"] >= 0).all()
    slow = written[written["sku"] == "SLOW"]
    fast = written[written["sku"] == "FAST"]["q50"].mean()
    assert slow["q50"].mean() < 1.0 < 10.0 < fast < 30.0
    assert (slow["mean"] >= 0).all()
    assert summary["total_mean"] == pytest.approx(written["mean"].sum(), abs=0.05)


def test_three_week_history_still_forecasts(tmp_path):
    days = pd.date_range("2025-03-01", periods=21)
    qty = np.random.default_rng(1).poisson(6, len(days))
    path = _write(
        tmp_path,
        "date,sku,warehouse_id,qty\n"
        + "".join(f"{d.date()},NEW,W1,{q}\n" for d, q in zip(days, qty, strict=True)),
    )
    forecast, summary = forecast_file(path, horizon=5)
    assert len(forecast) == 5 and summary["n_series"] == 1
    assert forecast["date"].min() == days[-1] + pd.Timedelta(days=1)
    assert 2.0 < forecast["q50"].mean() < 12.0 and (forecast["q90"] > forecast["q50"]).all()
