"""Duplicate orders: the same customer, address and lines within a time window, on any channel.

:class:`RecentOrders` is the one index both training (replaying orders in ``created_at`` order)
and serving (one instance owned by the scorer) use, so duplicate features never skew.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np

from features.address_text import drop_trailing_name
from features.channel_prices import ChannelListPrices
from features.order_reference import sku_key
from features.stock_ledger import StockLedger
from ordersight.schema import CHINA, Order, OrderLine

__all__ = [
    "Matches",
    "RecentOrders",
    "Seen",
    "SharedWindow",
    "WindowUnavailable",
    "address_key",
    "fingerprint",
    "normalise_address",
]

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_BRACKETS = re.compile(r"[(（\[【<《{][^)）\]】>》}]*[)）\]】>》}]")
_PHONES = re.compile(
    r"(?<!\d)(?:1\d{2}[\d*]{4}\d{4}|1\d{2}[-\s]\d{4}[-\s]\d{4}|0\d{2,3}-?\d{7,8})(?!\d)"
)
_ADMIN = re.compile(r"^.*?(?:自治区|特别行政区|自治州|地区|自治县|自治旗|省|市|区|县|旗|盟)")
_AFTER_LAST_DIGIT = re.compile(r"(?<=\d)\D*$")
# delivery notes typed after the address without brackets (…妈妈驿站放门口, …号送货前打电话)
_TRAILING_NOTE = re.compile(
    r"(?:(?:请|麻烦)?(?:放|送)[在到]?家?(?:门口|快递柜|丰巢|菜鸟驿站|驿站|前台|门卫|物业|传达室)"
    r"|(?:请|麻烦)?(?:送货前|送达前|到了?)[请先]*(?:打|致)?电话|(?:请)?电联|电话联系"
    r"|工作日送|周末送|送货上门)+$"
)
# what such a note ends with: a text ending otherwise (nearly every address) skips the search,
# which tries every position of the text (~12 µs an address here)
_NOTE_ENDINGS = (
    *("门口", "快递柜", "丰巢", "驿站", "前台", "门卫", "物业", "传达室"),
    *("电话", "电联", "联系", "工作日送", "周末送", "上门"),
)
_NOT_PHONE_CHAR = re.compile(r"[^\d*]")
_COUNTRY_CODE = re.compile(r"^(?:0086|86)(?=1\d{2}[\d*]{4}\d{4}$)")  # +86 138…: the mobile
LinesKey = tuple[tuple[str, int], ...]  # (SKU key, units) per distinct SKU, sorted
Fingerprint = tuple[str, str, LinesKey]  # customer, address key, lines


def normalise_address(text: str) -> str:
    """Address text without notes, phones, spacing, punctuation, width or case differences.

    Channels write the same address as one raw string or as split fields joined with spaces, in
    full- or half-width characters, with bracketed delivery notes or the receiver's name and
    phone pasted after it; none of that makes it a different address.
    """
    text = _PHONES.sub("", _BRACKETS.sub("", unicodedata.normalize("NFKC", text)))
    return _NOISE.sub("", drop_trailing_name(text)).lower()


@lru_cache(maxsize=65_536)
def address_key(text: str, adcode: str | None = None) -> str:
    """The part of an address that identifies a door, comparable across channels.

    The text is cut after its last number (house / room), which drops trailing notes and
    receiver names (…2208送货前打电话 → …2208), and loses a trailing delivery note where no
    number ends the door (…妈妈驿站放门口 → …妈妈驿站). With a parsed ``adcode`` the region
    words are replaced by the code, since channels spell them differently (浙江 / 浙江省, missing
    city).
    """
    core = normalise_address(text)
    if core.endswith(_NOTE_ENDINGS):
        core = _TRAILING_NOTE.sub("", core) or core
    core = _AFTER_LAST_DIGIT.sub("", core) or core
    if not adcode:
        return core
    detail = core
    while (m := _ADMIN.match(detail)) and len(detail) - m.end() >= 4:
        detail = detail[m.end() :]
    return f"{adcode[:6]}|{detail}"


def _customer_key(order: Order) -> str:
    """Receiver phone as platforms show it (first 3 + last 4 digits), else the customer id.

    Marketplaces mask the middle digits (138****8000) while own channels show them all; keeping
    only what every channel shows lets the same receiver match across channels.
    """
    return _phone_key(order.address.phone or "") or "c" + (order.customer_id or "")


@lru_cache(maxsize=65_536)
def _phone_key(phone: str) -> str | None:
    digits = _COUNTRY_CODE.sub("", _NOT_PHONE_CHAR.sub("", phone))
    if len(digits) >= 8 and digits[:3].isdigit() and digits[-4:].isdigit():
        return "p" + digits[:3] + digits[-4:]
    return None


def fingerprint(order: Order, adcode: str | None = None, text: str | None = None) -> Fingerprint:
    """Customer + normalised address + sorted (SKU, units) lines.

    With the parsed ``adcode`` the address part is the district code plus the detail, so two
    channels spelling the regions differently still match; without it, the whole normalised text.
    ``text`` is the order's address text where the caller has joined it already.
    """
    where = address_key(order.address.text() if text is None else text, adcode)
    return _customer_key(order), where, _lines_key(order.lines)


def _lines_key(lines: Sequence[OrderLine]) -> LinesKey:
    """Sorted (SKU, units) per distinct SKU (case and spacing ignored, split lines summed); a
    tuple, not a joined string: formatting one costs more than hashing it."""
    if len(lines) == 1:  # most orders
        return ((sku_key(lines[0].sku), lines[0].qty),)
    qty: dict[str, int] = defaultdict(int)
    for line in lines:
        qty[sku_key(line.sku)] += line.qty
    return tuple(sorted(qty.items()))


class Matches(NamedTuple):
    """Per order: earlier matches on its own channel and on others, and whether it is a retry
    (its fingerprint seen before under the same ``order_id``)."""

    same_channel: np.ndarray
    cross_channel: np.ndarray
    retried: np.ndarray
    created: np.ndarray  # epoch seconds (a naive time is China time)
    # the order_id of an earlier match, one on another channel first (None where none): what
    # the order repeats, for the duplicate rules' suggestion
    earlier: list[str | None]


class Seen(NamedTuple):
    """One order in the window under its fingerprint."""

    at: float  # creation time, epoch seconds
    channel: str
    order_id: str


class WindowUnavailable(Exception):
    """The shared window could not be reached: the batch is read against this process's own."""


class SharedWindow(Protocol):
    """A duplicate window several processes keep together (the API and each queue worker:
    ``serving.shared_stream``), so a copy that reaches another process is still a duplicate."""

    def exchange(self, keys: Sequence[Fingerprint], orders: Sequence[Seen]) -> list[list[Seen]]:
        """In one step for the batch, in its order: each order's earlier entries under its
        fingerprint (an order earlier in the batch included), and the order added unless one
        of them has its ``order_id`` (a retry). Raises :class:`WindowUnavailable`."""
        ...

    def remember_queued(self, order_ids: Sequence[str], times: Sequence[float]) -> None:
        """Note the orders sent to a person, with their creation times."""
        ...

    def queued_among(self, order_ids: Sequence[str]) -> set[str]:
        """Which of ``order_ids`` a process sent to a person within the window."""
        ...

    def reachable(self) -> bool:
        """Whether the store answers now (readiness: a batch goes on without it)."""
        ...


class _Counted(NamedTuple):
    same: int
    cross: int
    retry: bool
    earlier: str | None  # a match's order_id, one on another channel first


def _count(prior: Sequence[Seen], order_id: str, channel: str, at: float, span: float) -> _Counted:
    """Earlier matches of an order within ``span`` seconds on its channel and on others,
    whether ``prior`` holds its ``order_id`` (a retry), and which order it repeats."""
    same = cross = 0
    retry = False
    on_channel = elsewhere = None
    for seen in prior:
        if seen.order_id == order_id:
            retry = True
        elif not -span <= at - seen.at <= span:  # before or after (RecentOrders)
            continue
        elif seen.channel == channel:
            same += 1
            on_channel = on_channel or seen.order_id
        else:
            cross += 1
            elsewhere = elsewhere or seen.order_id
    return _Counted(same, cross, retry, elsewhere or on_channel)


@dataclass
class RecentOrders:
    """Index of recent fingerprints; counts the orders seen before whose creation time is within
    ``window`` of this one's, before or after it (a copy on a faster channel can arrive first).

    An order seen again with the same ``order_id`` (a retry) is not its own duplicate. Entries
    older than the window behind the newest order seen are pruned as the index grows.

    The window is this process's own, in memory, unless ``shared`` is set: then the fingerprints
    and the orders sent to a person are kept there, for every process scoring the same stream
    (the stock ledger has its own ``shared``; the channels' prices stay this process's own).
    """

    window: timedelta = timedelta(hours=24)
    # learnt from the same stream: each channel's usual list price per SKU
    list_prices: ChannelListPrices = field(default_factory=ChannelListPrices)
    # and what the orders took from stock since its snapshot
    stock_taken: StockLedger = field(default_factory=StockLedger)
    shared: SharedWindow | None = None
    _by_key: dict[Fingerprint, deque[Seen]] = field(default_factory=dict)
    # orders this stream sent to a person (review / hold) → creation time, within the window: one
    # that passes when sent again (corrected) has a decision to close
    _queued: dict[str, float] = field(default_factory=dict)
    _latest: float = float("-inf")
    _added: int = 0

    def __getstate__(self) -> dict:
        """Kept (pickled) without ``shared``: a connection, not state; a process that loads the
        state attaches its own."""
        return {
            "window": self.window,
            "list_prices": self.list_prices,
            "stock_taken": self.stock_taken,
            "by_key": self._by_key,
            "queued": self._queued,
            "latest": self._latest,
            "added": self._added,
        }

    def __setstate__(self, state: dict) -> None:
        self.window, self.list_prices = state["window"], state["list_prices"]
        self.stock_taken, self._by_key = state["stock_taken"], state["by_key"]
        self._queued, self._latest, self._added = state["queued"], state["latest"], state["added"]
        self.shared = None

    def __len__(self) -> int:
        return sum(len(q) for q in self._by_key.values())

    def observe(
        self,
        orders: Sequence[Order],
        adcodes: Sequence[str | None] | None = None,
        texts: Sequence[str] | None = None,
    ) -> Matches:
        """Count earlier same/cross-channel matches for each order, then remember it.

        Orders are taken in the order given (callers replay history sorted by ``created_at``).
        ``texts`` are the orders' address texts where the caller has them (see
        :func:`fingerprint`).
        """
        n = len(orders)
        same = np.zeros(n, dtype=np.int64)
        cross = np.zeros(n, dtype=np.int64)
        retried = np.zeros(n, dtype=bool)
        if not n:
            return Matches(same, cross, retried, np.zeros(n), [])
        span = self.window.total_seconds()
        keys = list(
            map(
                fingerprint,
                orders,
                adcodes if adcodes is not None else [None] * n,
                texts if texts is not None else [None] * n,
            )
        )
        times = [_timestamp(order.created_at) for order in orders]
        if self.shared is not None:
            matches = self._observe_shared(orders, keys, times)
            if matches is not None:
                return matches
        self._latest = max(self._latest, max(times))
        self._added += n
        by_key = self._by_key
        earlier: list[str | None] = [None] * n
        for i, (order, key, at) in enumerate(zip(orders, keys, times, strict=True)):
            seen = by_key.get(key)
            if seen is None:  # most orders: a fingerprint not seen in the window
                by_key[key] = deque([Seen(at, order.channel, order.order_id)])
                continue
            counted = _count(seen, order.order_id, order.channel, at, span)
            same[i], cross[i], earlier[i] = counted.same, counted.cross, counted.earlier
            if counted.retry:
                retried[i] = True
            else:
                seen.append(Seen(at, order.channel, order.order_id))
        if self._added > 50_000:
            self.prune()
        return Matches(same, cross, retried, np.array(times), earlier)

    def _observe_shared(
        self, orders: Sequence[Order], keys: Sequence[Fingerprint], times: list[float]
    ) -> Matches | None:
        """:meth:`observe` against the shared window; None where it cannot be reached (the
        batch is then read against this process's own)."""
        assert self.shared is not None
        span, n = self.window.total_seconds(), len(orders)
        entries = [Seen(at, o.channel, o.order_id) for o, at in zip(orders, times, strict=True)]
        try:
            found = self.shared.exchange(keys, entries)
        except WindowUnavailable:
            return None
        same, cross = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        retried = np.zeros(n, dtype=bool)
        earlier: list[str | None] = [None] * n
        for i, (prior, now) in enumerate(zip(found, entries, strict=True)):
            counted = _count(prior, now.order_id, now.channel, now.at, span)
            same[i], cross[i], retried[i], earlier[i] = counted
        return Matches(same, cross, retried, np.array(times), earlier)

    def remember_queued(self, orders: Sequence[Order]) -> None:
        """Note the orders whose result went to a person (review / hold)."""
        if self.shared is not None:
            ids = [o.order_id for o in orders]
            self.shared.remember_queued(ids, [_timestamp(o.created_at) for o in orders])
            return
        for order in orders:
            self._queued[order.order_id] = _timestamp(order.created_at)

    def queued_among(self, order_ids: Sequence[str]) -> set[str]:
        """Which of ``order_ids`` the stream sent to a person within the window."""
        if self.shared is not None:
            return self.shared.queued_among(order_ids) if order_ids else set()
        return {i for i in order_ids if i in self._queued}

    def prune(self) -> None:
        """Forget entries older than the window behind the newest order seen."""
        cutoff = self._latest - self.window.total_seconds()
        # a copy first: the recording side may note an order meanwhile (then only that is lost)
        self._queued = {k: at for k, at in list(self._queued.items()) if at >= cutoff}
        for key in list(self._by_key):
            seen = self._by_key[key]
            while seen and seen[0].at < cutoff:
                seen.popleft()
            if not seen:
                del self._by_key[key]
        self._added = len(self)


# the epoch as a naive China time: a naive time's distance from it is its epoch seconds, the same
# float as attaching the zone and asking for ``timestamp()``, which costs ~1 µs an order more
_CHINA_EPOCH = datetime(1970, 1, 1) + CHINA.utcoffset(None)


def _timestamp(value: datetime) -> float:
    """Seconds since the epoch; naive times are taken as China time (UTC+8)."""
    if value.tzinfo is None:
        return (value - _CHINA_EPOCH).total_seconds()
    return value.timestamp()
