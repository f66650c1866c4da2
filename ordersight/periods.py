"""The spacing of a sales history: days, or totals per week or per month.

ERPs and marketplace reports often export sales per week (the week's last day as its date) or per
month (its first or last day). Read as days, such a history would hold six days in seven without
a sale and the week's whole demand on one day, so its spacing is told from its dates and the
forecast reads it as what it is (``models/periodic.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MIN_PERIODS", "Period", "history_period"]

MIN_PERIODS = 8  # distinct dates before their spacing says the rows are weekly or monthly totals
_DAYS_A_MONTH = 30


@dataclass(frozen=True)
class Period:
    """Weekly totals dated on one weekday, or monthly totals on one day of the month."""

    unit: str  # "week" or "month"
    anchor: str  # the day each total is dated on: "Sunday", "day 1", "month end"

    @property
    def season(self) -> int:
        """Periods in a year: the season of a yearly cycle."""
        return 52 if self.unit == "week" else 12

    def __str__(self) -> str:
        return f"{self.unit} ({self.anchor})"

    def number(self, dates: pd.Series) -> np.ndarray:
        """Each date's period as a count since an origin, consecutive periods differing by 1."""
        days = pd.DatetimeIndex(dates)
        if self.unit == "week":
            return np.asarray((days - pd.Timestamp("1970-01-01")).days // 7, dtype=np.int64)
        return np.asarray(days.year * 12 + days.month - 1, dtype=np.int64)

    def after(self, last: pd.Timestamp, count: int) -> pd.DatetimeIndex:
        """The dates of the ``count`` periods after the one dated ``last``, dated as it is."""
        steps = range(1, count + 1)
        if self.unit == "week":
            return pd.DatetimeIndex([last + pd.Timedelta(weeks=k) for k in steps])
        if self.anchor == "month end":
            return pd.DatetimeIndex([last + pd.offsets.MonthEnd(k) for k in steps])
        return pd.DatetimeIndex([last + pd.DateOffset(months=k) for k in steps])

    def covering(self, days: int) -> int:
        """Periods that cover a horizon of ``days`` (14 days: two weeks, or one month)."""
        length = 7 if self.unit == "week" else _DAYS_A_MONTH
        return max(1, -(-days // length))


def history_period(dates: pd.Series) -> Period | None:
    """The period whose totals the history holds, or None for a daily history.

    Every one of ``MIN_PERIODS`` distinct dates or more on one weekday is a weekly history, on one
    day of the month (or each its month's last) a monthly one; a daily history spreads over the
    week (a shop open one day a week aside, whose week is that day's)."""
    days = pd.DatetimeIndex(dates.dropna().unique())
    if len(days) < MIN_PERIODS:
        return None
    if days.is_month_end.all():
        return Period("month", "month end")
    if (days.day == days[0].day).all():
        return Period("month", f"day {days[0].day}")
    if (days.dayofweek == days[0].dayofweek).all():
        return Period("week", days[0].day_name())
    return None
