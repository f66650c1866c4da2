"""Calendar features: holidays incl. 调休 workdays, festival distances, years beyond the table."""

from __future__ import annotations

import pandas as pd

from features.calendar import CALENDAR_FEATURES, calendar_frame, is_holiday, is_workday


def test_official_holidays_and_adjusted_workdays():
    days = pd.DatetimeIndex(["2024-10-01", "2024-10-12", "2024-10-08", "2024-02-04", "2024-02-12"])
    # National Day off; 2024-10-12 (Sat) is a make-up workday; 10-08 normal Tuesday;
    # 2024-02-04 (Sun) make-up workday before Spring Festival; 02-12 Spring Festival holiday.
    assert is_holiday(days).tolist() == [1, 0, 0, 0, 1]
    assert (is_workday(days) == 1 - is_holiday(days)).all()


def test_festival_distances():
    frame = calendar_frame(pd.date_range("2025-11-09", "2025-11-13"))
    assert frame["days_to_1111"].tolist() == [2, 1, 0, 60, 60]
    assert frame["days_after_1111"].tolist()[2:] == [0, 1, 2]
    june = calendar_frame(pd.DatetimeIndex(["2025-06-01"]))
    assert june["days_to_618"].iloc[0] == 17
    assert calendar_frame(pd.DatetimeIndex(["2025-01-27"]))["days_to_spring"].iloc[0] == 2
    # any festival: after 双11 the next is 双12; 2025-07-01 is 13 days after 618
    around = calendar_frame(pd.DatetimeIndex(["2025-11-12", "2025-07-01"]))
    assert around["days_to_festival"].tolist() == [30, 60]
    assert around["days_after_festival"].tolist() == [1, 13]


def test_years_outside_published_schedule_still_work():
    days = pd.DatetimeIndex(["2030-10-02", "2030-10-09", "2030-02-04"])  # 2030-02-03 = 春节
    flags = is_holiday(days).tolist()
    assert flags[0] == 1 and flags[1] == 0 and flags[2] == 1


def test_features_are_named_and_vectorised():
    dates = pd.date_range("2023-01-01", periods=800)
    frame = calendar_frame(dates)
    assert list(frame.columns) == [fn.__name__ for fn in CALENDAR_FEATURES]
    assert len(set(frame.columns)) == len(frame.columns)
    assert frame.notna().all().all() and frame.to_numpy().min() >= 0
    assert frame["is_holiday"].between(0, 1).all()
