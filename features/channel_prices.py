"""Each channel's usual list price, per SKU and overall, learnt from the orders themselves.

A platform may list SKUs at its own prices (its 吊牌价 differs from the brand catalog's): that is
the channel's price, not an error on every order it sends. The norm is the median of the recent
ratios order list price ÷ catalog list price when at least half of them differ from the
catalog and two thirds agree with that median, for the (channel, SKU) pair once it has shown
enough orders, else for the channel as a whole: a consistent difference stops counting as a
catalog mismatch after a few orders, while a stray or sudden one still counts, and so do
mismatches that disagree with one another (a run of lines at 0.8 and 1.25 of the catalog is no
channel price, whichever of them the median lands on). Like the duplicate index it is fed in
order, the same way in training and serving, and an order sent again (a retry) is not counted
twice: five retries of one mis-listed order are no channel price.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ChannelListPrices"]

WINDOW = 25  # recent ratios kept per (channel, SKU) and per channel
MIN_SEEN = 5  # ratios needed before the channel's own price counts
TOLERANCE = 0.01  # a ratio this close to 1 is the catalog's price


class _Recent:
    """A pair's or a channel's recent ratios (in arrival order and sorted, so the median is a
    lookup) and how many of them are off the catalog."""

    __slots__ = ("off", "ratios", "sorted")

    def __init__(self) -> None:
        self.ratios: deque[tuple[float, bool]] = deque()
        self.sorted: list[float] = []
        self.off = 0

    def norm(self) -> float | None:
        """The median once ``MIN_SEEN`` ratios are known, at least half are off the catalog and
        two thirds agree with the median (else the catalog's price, 1.0); None before
        ``MIN_SEEN``."""
        n = len(self.sorted)
        if n < MIN_SEEN:
            return None
        if 2 * self.off < n:
            return 1.0
        median = self.sorted[n // 2]
        near = bisect_right(self.sorted, median * (1 + TOLERANCE)) - bisect_left(
            self.sorted, median * (1 - TOLERANCE)
        )
        return median if 3 * near >= 2 * n else 1.0

    def add(self, ratio: float, off: bool) -> None:
        if len(self.ratios) == WINDOW:
            oldest, was_off = self.ratios.popleft()
            del self.sorted[bisect_left(self.sorted, oldest)]
            self.off -= was_off
        self.ratios.append((ratio, off))
        insort(self.sorted, ratio)
        self.off += off


@dataclass
class ChannelListPrices:
    """Recent list-price ratios per (channel, SKU) and per channel, kept only once a ratio
    differed from the catalog (until then the catalog's price is the norm)."""

    _recent: dict[tuple[str, str] | str, _Recent] = field(default_factory=dict)

    def observe(
        self,
        keys: Sequence[tuple[str, str]],
        ratios: Sequence[float],
        seen: Sequence[bool] | None = None,
    ) -> np.ndarray:
        """Per line, the usual ratio before this line (the pair's, else the channel's, else 1.0),
        then remember the line's ratio, unless ``seen`` says its order was observed before (a
        retry is read against the norm, not counted again). NaN ratios (no list price) are
        skipped."""
        norms = [1.0] * len(ratios)
        recent_of = self._recent
        for j, (pair, ratio) in enumerate(zip(keys, ratios, strict=True)):
            if ratio != ratio:
                continue
            off = abs(ratio - 1) > TOLERANCE
            learn = seen is None or not seen[j]
            norm = None
            for key in (pair, pair[0]):
                recent = recent_of.get(key)
                if recent is None:
                    if not (off and learn):
                        continue
                    recent = recent_of[key] = _Recent()
                if norm is None:
                    norm = recent.norm()
                if learn:
                    recent.add(ratio, off)
            if norm is not None:
                norms[j] = norm
        return np.array(norms)
