"""Each channel's usual list price: learnt from the order stream, so a channel listing a SKU at
its own price is not a catalog mismatch on every order, while a sudden change still is."""

from __future__ import annotations

import numpy as np

from features.channel_prices import MIN_SEEN, ChannelListPrices


def test_the_catalog_price_is_the_norm_until_a_channel_shows_its_own() -> None:
    prices = ChannelListPrices()
    norms = prices.observe([("tmall", "A")] * (MIN_SEEN + 2), [1.1] * (MIN_SEEN + 2))
    assert norms.tolist() == [1.0] * MIN_SEEN + [1.1, 1.1]
    # another SKU on the same channel starts from the channel's price, another channel does not
    assert prices.observe([("tmall", "B"), ("jd", "A")], [1.1, 1.1]).tolist() == [1.1, 1.0]


def test_orders_at_the_catalog_price_keep_the_norm_and_cost_nothing() -> None:
    prices = ChannelListPrices()
    stream = [1.0] * 20 + [1.3] + [1.0] * 20  # one stray list price among catalog ones
    norms = prices.observe([("jd", "A")] * len(stream), stream)
    assert np.all(norms == 1.0)
    untouched = ChannelListPrices()
    untouched.observe([("jd", "A")] * 50, [1.0] * 50)
    assert not untouched._recent  # nothing is kept for pairs that match the catalog


def test_mismatches_that_disagree_are_no_channel_price() -> None:
    """A run of wrong list prices, some low and some high, stays a run of mismatches: the median
    lands on one of them, but they do not agree on it."""
    prices = ChannelListPrices()
    stream = [0.8, 1.25] * 15
    norms = prices.observe([("douyin", "A")] * len(stream), stream)
    assert np.all(norms == 1.0)
    assert prices.observe([("douyin", "B")], [1.25]).tolist() == [1.0]


def test_no_list_price_is_skipped() -> None:
    prices = ChannelListPrices()
    assert prices.observe([("pdd", "A")] * 3, [float("nan")] * 3).tolist() == [1.0] * 3
    assert not prices._recent
