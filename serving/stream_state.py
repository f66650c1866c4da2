"""What the scorer learnt from the order stream, kept across a restart of its process.

The duplicate window, the channels' list prices and the stock ledger
(:class:`features.duplicates.RecentOrders`) live in memory. A deploy restarted them empty: a copy
of an order placed before it was no duplicate, a channel with its own prices had its first
orders flagged again, and a flash sale could sell its last units twice. The API saves them when
it stops and loads them when it starts; so does each queue worker, in a file of its own.

The file is a pickle: the objects hold deques, sorted windows and entries shared between two
indexes, which pickle keeps as they are, and it is written and read only by this process's own
code in its state directory (``ORDERSIGHT_HOME``), like the SQLite store beside it. It carries a
digest of the code that defines those objects: a file written by other code (an upgrade) is left
unread, and the process starts empty, as it would without one. So is an unreadable file. A write
goes to a temporary file first, then replaces the old one whole.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
from pathlib import Path

import features.channel_prices
import features.duplicates
import features.stock_ledger
from features.duplicates import RecentOrders
from ordersight.files import written_whole

log = logging.getLogger("ordersight.stream_state")

_STATE_MODULES = (features.duplicates, features.channel_prices, features.stock_ledger)


def stream_state_path(home: Path, process: str) -> Path:
    """Where ``process`` (``api``, ``worker-<consumer>``) keeps its state under ``home``."""
    return home / "stream" / f"{process}.pickle"


def code_digest() -> str:
    """Of the source of the modules whose classes the file holds, of the form they run in
    (compiled or not: their pickles differ), and of the Python that pickled them. (A compiled
    module's own file is a loader stub that stays the same when its code changes.)"""
    digest = hashlib.sha256(sys.version.encode())
    for module in _STATE_MODULES:
        loaded = Path(module.__file__ or "")
        digest.update(loaded.name.encode())
        digest.update(loaded.with_name(module.__name__.rpartition(".")[2] + ".py").read_bytes())
    return digest.hexdigest()


def save_stream_state(recent: RecentOrders, path: Path) -> None:
    """Write ``recent`` to ``path`` whole (a temporary file, then an atomic replace)."""
    with written_whole(path, "wb") as fh:
        pickle.dump((code_digest(), recent), fh, protocol=pickle.HIGHEST_PROTOCOL)
    log.info("saved the order stream's state to %s", path)


def load_stream_state(path: Path) -> RecentOrders | None:
    """The state saved at ``path``; None (logged) where there is none this code can read."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            digest, recent = pickle.load(fh)  # our own file (see the module docstring)
    except Exception:
        log.warning("could not read %s; the order stream's state starts empty", path)
        return None
    if digest != code_digest() or not isinstance(recent, RecentOrders):
        log.warning("%s was written by other code; the order stream's state starts empty", path)
        return None
    log.info("loaded the order stream's state from %s", path)
    return recent
