"""The order stream's duplicate window and stock ledger in Redis, shared by the API and every
queue worker.

Each process keeps its own in memory by default (:class:`features.duplicates.RecentOrders`,
:class:`features.stock_ledger.StockLedger`). Where orders reach several processes (the API for
some channels, queue workers for others, or several workers on one queue), a copy scored by
another process than its original was no duplicate, and two workers could sell the same last
units. With ``ORDERSIGHT_SHARED_STREAM=true`` both live in Redis instead, under
``<queue>:stream:``:

- one sorted set per fingerprint (``dup:<digest>``), its members ``<channel> TAB <order_id>``
  scored by creation time; a batch reads and adds its orders in one Lua script, so two processes
  scoring copies at the same moment see one another, in the order Redis runs them. Entries more
  than twice the window older than an order are dropped as it is added (an order is a duplicate
  within one window, before or after it; a retry is known for longer), and each set expires
  twice the window after its last order.
- one sorted set of the orders sent to a person (``queued``), by creation time, so an order
  corrected and sent again through another process still closes its open decision.
- the stock ledger (:class:`RedisLedger`): units taken per stock row, each order's takes, and a
  turn that one batch at a time holds while it reads and takes.

The scripts name their keys themselves (known only inside them): a standalone Redis or a single
shard, not a cluster. While Redis cannot be reached, a batch is scored against the process's own
window and ledger (logged): a copy or a take that went through another process meanwhile is
missed. After a call fails, Redis is not asked for a pause (:class:`RedisLink`), so a Redis that
hangs costs one batch in a while a second's wait, not every batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import redis

from features.duplicates import Fingerprint, Seen, WindowUnavailable
from features.stock_ledger import CellKey, LedgerUnavailable, Take
from ordersight.settings import Settings

log = logging.getLogger("ordersight.shared_stream")

# told which part of the shared stream a batch went without ("window", "review_marks", "ledger"):
# the API counts these in /metrics
Missed = Callable[[str], None]
T = TypeVar("T")


def _nothing(part: str) -> None:
    pass


class _NotAsked(redis.ConnectionError):
    """Redis was not asked: it failed a call a moment ago."""


class RedisLink:
    """The connection the window and the ledger share, and what happens when Redis fails them.

    After a call cannot connect or times out, none is made for a pause: while Redis hangs, each
    of a batch's calls would otherwise wait out its own timeout (a second), batch after batch.
    The pause starts at ``first_pause_s`` (a Redis restart costs little) and doubles while calls
    go on failing, up to ``longest_pause_s``; a call that succeeds ends it. ``missed`` is told
    which part of the stream a batch went without; the failures are logged, the batches skipped
    meanwhile at debug level.
    """

    def __init__(
        self,
        client: redis.Redis,
        missed: Missed = _nothing,
        first_pause_s: float = 0.5,
        longest_pause_s: float = 10.0,
    ) -> None:
        self.client, self.missed = client, missed
        self.first_pause_s, self.longest_pause_s = first_pause_s, longest_pause_s
        self._pause, self._until = 0.0, 0.0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if time.monotonic() < self._until:
            raise _NotAsked(f"not asked: a call failed, and Redis rests {self._pause} s")
        try:
            answer = fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError):
            doubled = min(2 * self._pause, self.longest_pause_s)
            self._pause = doubled if self._pause else self.first_pause_s
            self._until = time.monotonic() + self._pause
            raise
        self._pause = 0.0
        return answer

    def went_without(self, part: str, exc: Exception, message: str, *args: object) -> None:
        """Log ``message`` (its last ``%s`` is ``exc``) and tell ``missed``."""
        level = logging.DEBUG if isinstance(exc, _NotAsked) else logging.WARNING
        log.log(level, message, *args, exc)
        self.missed(part)

    def reachable(self) -> bool:
        """Whether Redis answers a PING now; during a pause it is not asked (a readiness probe
        must not wait out a hung Redis's timeout each time)."""
        try:
            return bool(self.call(self.client.ping))
        except redis.RedisError:
            return False


# ARGV[1]: JSON [key prefix, how far back entries are kept (s), the sets' lifetime (s), [[digest,
# creation time, channel, order id] per order]]. Returns JSON: per order the [member, score, …]
# found before it was added. (JSON in and out: a batch's thousands of arguments and nested
# replies cost more to pack and parse in redis-py than the script costs to run.)
_EXCHANGE = """
local batch = cjson.decode(ARGV[1])
local prefix, kept, ttl = batch[1], batch[2], batch[3]
local found = {}
for i, o in ipairs(batch[4]) do
  local key, at, id = prefix .. o[1], o[2], o[4]
  local prior = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local retry = false
  if #prior > 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - kept))
    for j = 1, #prior, 2 do
      local tab = string.find(prior[j], '\\t', 1, true)
      if string.sub(prior[j], tab + 1) == id then retry = true end
    end
  end
  if not retry then redis.call('ZADD', key, at, o[3] .. '\\t' .. id) end
  redis.call('EXPIRE', key, ttl)
  found[i] = prior
end
return cjson.encode(found)
"""
# KEYS[1]: the queued set; ARGV: the window, then creation time and order id per order
_REMEMBER = """
local span, latest = tonumber(ARGV[1]), nil
for i = 2, #ARGV, 2 do
  local at = tonumber(ARGV[i])
  redis.call('ZADD', KEYS[1], at, ARGV[i + 1])
  if latest == nil or at > latest then latest = at end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (latest - span))
"""


def _digest(key: Fingerprint) -> str:
    """A fixed-length name for a fingerprint (customer, address key, lines)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


class RedisWindow:
    """:class:`features.duplicates.SharedWindow` in Redis, under ``prefix``."""

    def __init__(self, link: RedisLink, prefix: str, window: timedelta) -> None:
        self.link = link
        self.prefix = prefix
        self.span = window.total_seconds()
        self._exchange = link.client.register_script(_EXCHANGE)
        self._remember = link.client.register_script(_REMEMBER)

    def exchange(self, keys: Sequence[Fingerprint], orders: Sequence[Seen]) -> list[list[Seen]]:
        batch = [
            f"{self.prefix}:dup:",
            2 * self.span,
            int(2 * self.span),
            [[_digest(k), o.at, o.channel, o.order_id] for k, o in zip(keys, orders, strict=True)],
        ]
        try:
            found = json.loads(
                self.link.call(self._exchange, args=[json.dumps(batch, ensure_ascii=False)])
            )
        except redis.RedisError as exc:
            self.link.went_without(
                "window",
                exc,
                "the shared duplicate window is unreachable (%s); this batch is read "
                "against this process's own",
            )
            raise WindowUnavailable(str(exc)) from exc
        return [_entries(prior) for prior in found]

    def remember_queued(self, order_ids: Sequence[str], times: Sequence[float]) -> None:
        if not order_ids:
            return
        args: list[float | str] = [self.span]
        for order_id, at in zip(order_ids, times, strict=True):
            args += [repr(at), order_id]
        try:
            self.link.call(self._remember, keys=[f"{self.prefix}:queued"], args=args)
        except redis.RedisError as exc:
            self.link.went_without(
                "review_marks",
                exc,
                "could not note %d orders sent to a person: %s",
                len(order_ids),
            )

    def reachable(self) -> bool:
        return self.link.reachable()

    def queued_among(self, order_ids: Sequence[str]) -> set[str]:
        try:
            scores = self.link.call(
                self.link.client.zmscore, f"{self.prefix}:queued", list(order_ids)
            )
        except redis.RedisError as exc:
            self.link.went_without(
                "review_marks", exc, "could not read the orders sent to a person: %s"
            )
            return set()
        return {i for i, score in zip(order_ids, scores, strict=True) if score is not None}


def _entries(prior: list[str] | dict) -> list[Seen]:
    """A flat [member, score, …] as entries (an empty one comes as ``{}``: Lua's empty table)."""
    out = []
    for member, score in zip(prior[::2], prior[1::2], strict=True) if prior else ():
        channel, _, order_id = member.partition("\t")
        out.append(Seen(float(score), channel, order_id))
    return out


# The stock ledger's turn. KEYS: the turn, today's and yesterday's takes by order (by Redis's
# clock); ARGV: this turn's token, its most milliseconds, JSON [[cell key, …], [order id, …]]. Nil
# while another process has the turn, else JSON [[units taken per cell], [the order's takes
# ([[cell, units], …]; none: {}) per order]].
_BEGIN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local wanted = cjson.decode(ARGV[3])
local counts, takes = {}, {}
for i, key in ipairs(wanted[1]) do counts[i] = redis.call('GET', key) or '0' end
local day = math.floor(tonumber(redis.call('TIME')[1]) / 86400)
for i, id in ipairs(wanted[2]) do
  local took = redis.call('HGET', KEYS[2] .. day, id)
  took = took or redis.call('HGET', KEYS[2] .. (day - 1), id)
  takes[i] = took and cjson.decode(took) or {}
end
return cjson.encode({counts, takes})
"""
# KEYS as for _BEGIN; ARGV: the turn's token, the cells' lifetime (s), JSON [[[cell key, units],
# …] per cell, [[order id, [[cell, units], …]], …] per order]. Adds the units to the cells and
# the orders' takes to today's hash (kept two days); returns 0 where the turn had run out (another
# batch may have read meanwhile), else ends it.
_COMMIT = """
local batch = cjson.decode(ARGV[3])
for _, c in ipairs(batch[1]) do
  redis.call('INCRBYFLOAT', c[1], c[2])
  redis.call('EXPIRE', c[1], ARGV[2])
end
if #batch[2] > 0 then
  local today = KEYS[2] .. math.floor(tonumber(redis.call('TIME')[1]) / 86400)
  local fields = {}
  for _, t in ipairs(batch[2]) do
    fields[#fields + 1] = t[1]
    fields[#fields + 1] = cjson.encode(t[2])
    if #fields >= 2000 then redis.call('HSET', today, unpack(fields)); fields = {} end
  end
  if #fields > 0 then redis.call('HSET', today, unpack(fields)) end
  redis.call('EXPIRE', today, 2 * 86400)
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""


class RedisLedger:
    """:class:`features.stock_ledger.SharedLedger` in Redis, under ``prefix``: units taken per
    stock row (``<prefix>:taken:<cell>``: a row with new numbers is a new cell), each order's
    takes for its retries (a hash a day, ``<prefix>:took:<day>``, read today and yesterday), and
    one turn at a time (``<prefix>:ledger-turn``, ended when the batch's takes are added, or after
    ``turn_ms`` should its process die)."""

    def __init__(
        self,
        link: RedisLink,
        prefix: str,
        wait_s: float = 5.0,
        turn_ms: int = 10_000,
        keep_s: int = 2 * 86_400,
    ) -> None:
        self.link, self.prefix = link, prefix
        self.wait_s, self.turn_ms, self.keep_s = wait_s, turn_ms, keep_s
        self._keys = [f"{prefix}:ledger-turn", f"{prefix}:took:"]
        self._token = ""
        self._begin = link.client.register_script(_BEGIN)
        self._commit = link.client.register_script(_COMMIT)

    def _cell(self, cell: CellKey) -> str:
        sku, warehouse, on_hand, reserved = cell
        return f"{self.prefix}:taken:{sku}\t{warehouse}\t{on_hand!r}\t{reserved!r}"

    def begin(
        self, cells: Sequence[CellKey], order_ids: Sequence[str]
    ) -> tuple[list[float], dict[str, list[tuple[CellKey, float]]]]:
        token = uuid.uuid4().hex
        wanted = json.dumps([list(map(self._cell, cells)), list(order_ids)], ensure_ascii=False)
        deadline, pause = time.monotonic() + self.wait_s, 0.0005
        try:
            ask = [token, self.turn_ms, wanted]
            while (reply := self.link.call(self._begin, self._keys, ask)) is None:
                if time.monotonic() > deadline:
                    raise LedgerUnavailable(f"no turn at the stock ledger in {self.wait_s} s")
                time.sleep(pause)
                pause = min(2 * pause, 0.01)
        except (redis.RedisError, LedgerUnavailable) as exc:
            self.link.went_without(
                "ledger", exc, "the shared stock ledger: %s; this batch takes on its own"
            )
            raise LedgerUnavailable(str(exc)) from exc
        self._token = token
        counts, takes = json.loads(reply)
        by_order = {  # none at all: Lua's empty table, ``{}``
            order_id: [_take(*t) for t in took]
            for order_id, took in zip(order_ids, takes or (), strict=False)
            if took
        }
        return [float(c) for c in counts or ()], by_order

    def commit(self, takes: Sequence[Take]) -> None:
        per_cell: dict[CellKey, float] = {}
        per_order: dict[str, list[tuple[CellKey, float]]] = {}
        for order_id, cell, units in takes:
            per_cell[cell] = per_cell.get(cell, 0.0) + units
            per_order.setdefault(order_id, []).append((cell, units))
        batch = [
            [[self._cell(cell), units] for cell, units in per_cell.items()],
            list(per_order.items()),
        ]
        try:
            done = self.link.call(
                self._commit,
                self._keys,
                [self._token, self.keep_s, json.dumps(batch, ensure_ascii=False)],
            )
        except redis.RedisError as exc:
            self.link.went_without(
                "ledger",
                exc,
                "could not add %d takes to the shared stock ledger (kept for the next turn): %s",
                len(takes),
            )
            raise LedgerUnavailable(str(exc)) from exc
        if not done:
            log.warning("a batch's turn at the stock ledger ran out before its takes were added")
            self.link.missed("ledger")


def _take(cell: list, units: float) -> tuple[CellKey, float]:
    sku, warehouse, on_hand, reserved = cell
    return (sku, warehouse, float(on_hand), float(reserved)), float(units)


def shared_stores(
    settings: Settings, window: timedelta, missed: Missed = _nothing
) -> tuple[RedisWindow, RedisLedger] | tuple[None, None]:
    """Where ``ORDERSIGHT_SHARED_STREAM`` is set: the duplicate window and the stock ledger in
    Redis, under the queue's name; ``missed`` is told of each batch that went without a part."""
    if not settings.shared_stream:
        return None, None
    # Redis gone: see RedisLink. No retries: a call that timed out may have run, and a script
    # run twice would count a batch's takes twice.
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=None
    )
    link = RedisLink(client, missed)
    prefix = f"{settings.queue_name}:stream"
    return RedisWindow(link, prefix, window), RedisLedger(link, prefix)
