"""The demand target's per-series centring: each series less its own mean, nothing divided."""

from __future__ import annotations

import numpy as np
from mlforecast.grouped_array import GroupedArray

from models.demand import LocalCentre


def test_each_series_loses_its_mean_and_keeps_its_spread() -> None:
    data = np.array([1.0, 2.0, 3.0, 10.0, 10.0, 10.0, 0.0, 4.0])
    ga = GroupedArray(data, np.array([0, 3, 6, 8]))
    centre = LocalCentre()
    out = centre.fit_transform(ga)
    np.testing.assert_allclose(out.data, [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, -2.0, 2.0])
    back = centre.inverse_transform(GroupedArray(out.data, ga.indptr))
    np.testing.assert_allclose(back.data, data)  # a constant series (spread 0) comes back too
