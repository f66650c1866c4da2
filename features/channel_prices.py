"""Each channel's usual list price, per SKU and overall, learnt from the orders themselves.

A platform may list SKUs at its own prices (its 吊牌价 differs from the brand catalog's): that is
the channel's price, not an error on every order it sends. The norm is the median of the recent
ratios order list price ÷ catalog list price when at least half of them differ from the
catalog, for the (channel, SKU) pair once it has shown enough orders, else for the channel as a
whole: a consistent difference stops counting as a catalog mismatch after a few orders, while a
stray or sudden one still counts. Like the duplicate index it is fed in order, the same way in
training and serving.
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


def _off(ratio: float) -> bool:
    return abs(ratio - 1) > TOLERANCE


class _Recent:
    """A pair's or a channel's recent ratios and how many of them are off the catalog."""

    __slots__ = ("off", "ratios")

    def __init__(self) -> None:
        self.ratios: deque[float] = deque(maxlen=WINDOW)
        self.off = 0

    def norm(self) -> float | None:
        """The median once ``MIN_SEEN`` ratios are known and at least half are off the catalog
        (else the catalog's price, 1.0); None before ``MIN_SEEN``."""
        n = len(self.ratios)
        if n < MIN_SEEN:
            return None
        return sorted(self.ratios)[n // 2] if 2 * self.off >= n else 1.0

    def add(self, ratio: float) -> None:
        if len(self.ratios) == WINDOW:
            self.off -= _off(self.ratios[0])
        self.ratios.append(ratio)
        self.off += _off(ratio)


@dataclass
class ChannelListPrices:
    """Recent list-price ratios per (channel, SKU) and per channel, kept only once a ratio
    differed from the catalog (until then the catalog's price is the norm)."""

    _recent: dict[tuple[str, str] | str, _Recent] = field(default_factory=dict)

    def observe(self, keys: Sequence[tuple[str, str]], ratios: Sequence[float]) -> np.ndarray:
        """Per line, the usual ratio before this line (the pair's, else the channel's, else 1.0),
        then remember the line's ratio. NaN ratios (no list price) are skipped."""
        norms = np.ones(len(ratios))
        for j, (pair, ratio) in enumerate(zip(keys, ratios, strict=True)):
            if ratio != ratio:
                continue
            norm = None
            for key in (pair, pair[0]):
                recent = self._recent.get(key)
                if recent is None and _off(ratio):
                    recent = self._recent[key] = _Recent()
                if recent is None:
                    continue
                if norm is None:
                    norm = recent.norm()
                recent.add(ratio)
            norms[j] = 1.0 if norm is None else norm
        return norms
