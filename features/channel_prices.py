"""Each channel's usual list price, per SKU and overall, learnt from the orders themselves.

A platform may list SKUs at its own prices (its 吊牌价 differs from the brand catalog's): that is
the channel's price, not an error on every order it sends. The norm is the median of the recent
ratios order list price ÷ catalog list price, for the (channel, SKU) pair once it has shown
enough orders, else for the channel as a whole, so a consistent difference stops counting as a
catalog mismatch after a few orders while a sudden change still counts. Like the duplicate index
it is fed in order, the same way in training and serving.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ChannelListPrices"]

WINDOW = 25  # recent ratios kept per (channel, SKU) and per channel
MIN_SEEN = 5  # ratios needed before the channel's own price counts
TOLERANCE = 0.01  # a ratio this close to 1 is the catalog's price


def _median(values: deque[float]) -> float:
    return sorted(values)[len(values) // 2]


@dataclass
class ChannelListPrices:
    """Recent list-price ratios per (channel, SKU) and per channel, kept only once a ratio
    differed from the catalog (until then the catalog's price is the norm)."""

    _ratios: dict[tuple[str, str] | str, deque[float]] = field(default_factory=dict)

    def observe(self, keys: Sequence[tuple[str, str]], ratios: Sequence[float]) -> np.ndarray:
        """Per line, the usual ratio before this line (the pair's, else the channel's, else 1.0),
        then remember the line's ratio. NaN ratios (no list price) are skipped."""
        norms = np.ones(len(ratios))
        for j, (pair, ratio) in enumerate(zip(keys, ratios, strict=True)):
            if ratio != ratio:
                continue
            norm = None
            for key in (pair, pair[0]):
                seen = self._ratios.get(key)
                if seen is None and abs(ratio - 1) > TOLERANCE:
                    seen = self._ratios[key] = deque(maxlen=WINDOW)
                if seen is None:
                    continue
                if norm is None and len(seen) >= MIN_SEEN:
                    norm = _median(seen)
                seen.append(ratio)
            norms[j] = 1.0 if norm is None else norm
        return norms
