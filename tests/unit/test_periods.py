"""A history's spacing told from its dates, and the periods counted and dated as it dates them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ordersight.periods import MIN_PERIODS, Period, history_period


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (pd.date_range("2025-01-05", periods=30, freq="W-SUN"), "week (Sunday)"),
        (pd.date_range("2010-02-05", periods=143, freq="W-FRI"), "week (Friday)"),
        (pd.date_range("2024-01-01", periods=12, freq="MS"), "month (day 1)"),
        (pd.date_range("2024-01-31", periods=12, freq="ME"), "month (month end)"),
        (
            pd.date_range("2024-01-15", periods=9, freq="MS") + pd.Timedelta(days=14),
            "month (day 15)",
        ),
        (pd.date_range("2025-01-01", periods=60, freq="D"), None),
        (pd.date_range("2025-01-01", periods=60, freq="D")[::5], None),  # a slow mover's days
        (pd.date_range("2025-01-05", periods=MIN_PERIODS - 1, freq="W-SUN"), None),  # too few
    ],
)
def test_the_spacing_is_told_from_the_dates(dates: pd.DatetimeIndex, expected: str | None) -> None:
    found = history_period(pd.Series(dates.repeat(2)))  # two series on the same dates
    assert (str(found) if found else None) == expected


def test_consecutive_periods_are_numbered_one_apart() -> None:
    weeks = pd.Series(pd.date_range("2024-12-01", periods=10, freq="W-SUN"))
    months = pd.Series(pd.date_range("2023-11-30", periods=5, freq="ME"))
    assert (np.diff(Period("week", "Sunday").number(weeks)) == 1).all()
    assert (np.diff(Period("month", "month end").number(months)) == 1).all()


def test_the_periods_ahead_are_dated_as_the_history_dates_its_own() -> None:
    friday, month_end = pd.Timestamp("2012-10-26"), pd.Timestamp("2024-01-31")
    assert list(Period("week", "Friday").after(friday, 2).strftime("%F")) == [
        "2012-11-02",
        "2012-11-09",
    ]
    assert list(Period("month", "month end").after(month_end, 3).strftime("%F")) == [
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]
    assert list(Period("month", "day 1").after(pd.Timestamp("2008-06-01"), 1).strftime("%F")) == [
        "2008-07-01"
    ]


@pytest.mark.parametrize(("unit", "days", "periods"), [("week", 14, 2), ("week", 15, 3),
                                                       ("week", 1, 1), ("month", 14, 1),
                                                       ("month", 28, 1)])  # fmt: skip
def test_a_horizon_of_days_is_covered_by_whole_periods(unit: str, days: int, periods: int) -> None:
    assert Period(unit, "x").covering(days) == periods
