"""The duplicate window in Redis, shared by the API and every queue worker.

Each process keeps its own window in memory by default (:class:`features.duplicates.RecentOrders`).
Where orders reach several processes (the API for some channels, queue workers for others, or
several workers on one queue), a copy scored by another process than its original was no
duplicate. With ``ORDERSIGHT_SHARED_STREAM=true`` the window lives in Redis instead:

- one sorted set per fingerprint (``<queue>:stream:dup:<digest>``), its members
  ``<channel> TAB <order_id>`` scored by creation time; a batch reads and adds its orders in one
  Lua script, so two processes scoring copies at the same moment see one another, in the order
  Redis runs them. Entries more than twice the window older than an order are dropped as it is
  added (an order is a duplicate within one window, before or after it; a retry is known for
  longer), and each set expires twice the window after its last order.
- one sorted set of the orders sent to a person (``<queue>:stream:queued``), by creation time, so
  an order corrected and sent again through another process still closes its open decision.

One round trip per batch for the window, one more for the review marks of its passing orders.
While Redis cannot be reached, a batch is scored against the process's own window (logged): a
copy that went through another process meanwhile is missed, no order waits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta

import redis

from features.duplicates import Fingerprint, Seen, WindowUnavailable
from ordersight.settings import Settings

log = logging.getLogger("ordersight.shared_stream")

# KEYS: one fingerprint set per order; ARGV: how far back entries are kept and the sets'
# lifetime, in seconds, then per order its creation time and member. Returns per order the members
# and scores found before it was added.
_EXCHANGE = """
local kept, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local found = {}
for i = 1, #KEYS do
  local at, member = tonumber(ARGV[2 * i + 1]), ARGV[2 * i + 2]
  local id = string.sub(member, (string.find(member, '\\t', 1, true)))  -- TAB order_id
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. (at - kept))
  local prior = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local retry = false
  for j = 1, #prior, 2 do
    if string.sub(prior[j], -#id) == id then retry = true end
  end
  if not retry then redis.call('ZADD', KEYS[i], at, member) end
  redis.call('EXPIRE', KEYS[i], ttl)
  found[i] = prior
end
return found
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

    def __init__(self, client: redis.Redis, prefix: str, window: timedelta) -> None:
        self.client = client
        self.prefix = prefix
        self.span = window.total_seconds()
        self._exchange = client.register_script(_EXCHANGE)
        self._remember = client.register_script(_REMEMBER)

    def exchange(self, keys: Sequence[Fingerprint], orders: Sequence[Seen]) -> list[list[Seen]]:
        names = [f"{self.prefix}:dup:{_digest(k)}" for k in keys]
        args: list[float | str] = [2 * self.span, int(2 * self.span)]
        for seen in orders:
            args += [repr(seen.at), f"{seen.channel}\t{seen.order_id}"]
        try:
            found = self._exchange(keys=names, args=args)
        except redis.RedisError as exc:
            log.warning(
                "the shared duplicate window is unreachable (%s); this batch is read "
                "against this process's own",
                exc,
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
            self._remember(keys=[f"{self.prefix}:queued"], args=args)
        except redis.RedisError as exc:
            log.warning("could not note %d orders sent to a person: %s", len(order_ids), exc)

    def queued_among(self, order_ids: Sequence[str]) -> set[str]:
        try:
            scores = self.client.zmscore(f"{self.prefix}:queued", list(order_ids))
        except redis.RedisError as exc:
            log.warning("could not read the orders sent to a person: %s", exc)
            return set()
        return {i for i, score in zip(order_ids, scores, strict=True) if score is not None}


def _entries(prior: list[bytes]) -> list[Seen]:
    """Redis's flat [member, score, …] as entries."""
    out = []
    for member, score in zip(prior[::2], prior[1::2], strict=True):
        channel, _, order_id = member.decode().partition("\t")
        out.append(Seen(float(score), channel, order_id))
    return out


def shared_window(settings: Settings, window: timedelta) -> RedisWindow | None:
    """The window in Redis where ``ORDERSIGHT_SHARED_STREAM`` is set, under the queue's name."""
    if not settings.shared_stream:
        return None
    timeouts = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}  # Redis gone: see above
    client = redis.Redis.from_url(settings.redis_url, **timeouts)
    return RedisWindow(client, f"{settings.queue_name}:stream", window)
