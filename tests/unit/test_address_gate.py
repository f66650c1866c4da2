"""The address gate against cpca: better on all three levels, on none significantly worse."""

from __future__ import annotations

import numpy as np

from training.address import LEVELS, beats_baseline


def _hits(wrong: dict[str, list[int]], n: int = 4000) -> dict[str, np.ndarray]:
    """Per level, every address read right but those listed."""
    hits = {lv: np.ones(n, dtype=bool) for lv in LEVELS}
    for lv, rows in wrong.items():
        hits[lv][rows] = False
    hits["all"] = hits["province"] & hits["city"] & hits["district"]
    return hits


def test_a_few_coin_flips_at_one_level_do_not_fail_a_clear_win():
    """Ours misses 3 more provinces (ambiguous district-only addresses) but 300 fewer districts."""
    ours = _hits({"province": [1, 2, 3, 4, 5, 6], "district": list(range(100, 140))})
    theirs = _hits({"province": [1, 2, 3], "district": list(range(100, 440))})
    assert beats_baseline(ours, theirs)


def test_a_level_significantly_worse_fails_even_when_all_three_are_better():
    ours = _hits({"city": list(range(0, 40))})
    theirs = _hits({"city": [0], "district": list(range(1000, 1100))})
    assert ours["all"].sum() > theirs["all"].sum()
    assert not beats_baseline(ours, theirs)


def test_no_better_on_all_three_fails():
    same = _hits({"district": [5, 6]})
    assert not beats_baseline(same, _hits({"district": [5, 6]}))
