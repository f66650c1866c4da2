"""Long-lived, swappable state: reference data and loaded models.

Each holder swaps a whole new object in only after it was fully built and validated, so a
request sees either the old data or the new, never a mix (and a bad upload changes nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from features.order_reference import reference_index
from models.registry import MODEL_NAMES, LoadedModel, Registry
from ordersight.adapters import load_sku_map
from ordersight.files import written_whole
from ordersight.reference import KEYS, ReferenceData, validate_frame

log = logging.getLogger("ordersight.state")


class ReferenceHolder:
    """Current catalog / warehouses / stock; upserts are validated, merged, persisted, swapped."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self.data = ReferenceData.from_dir(self.directory)
        sku_map = self.directory / "sku_map.csv"
        self.sku_map = load_sku_map(sku_map) if sku_map.exists() else None

    def update(
        self, kind: Literal["stock", "catalog"], rows: Sequence[dict[str, Any]], mode: str
    ) -> dict[str, int]:
        """Upsert (or replace) rows of ``kind``; raises ReferenceFileError naming row and column."""
        incoming = pd.DataFrame(
            [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]
        )
        typed = validate_frame(incoming, kind, f"{kind} update")
        with self._lock:
            current: pd.DataFrame = getattr(self.data, kind)
            keys = list(KEYS[kind])
            if mode == "replace":
                merged = typed
            else:
                merged = pd.concat([current, typed], ignore_index=True)
                merged = merged.drop_duplicates(keys, keep="last").reset_index(drop=True)
            merged = merged[[c for c in current.columns if c in merged.columns]]
            with written_whole(self.directory / f"{kind}.csv") as fh:
                merged.to_csv(fh, index=False)
            fields = {
                "catalog": self.data.catalog,
                "warehouses": self.data.warehouses,
                "stock": self.data.stock,
                kind: merged,
            }
            keep = {"history": self.data.extra["history"]} if "history" in self.data.extra else {}
            version = f"{self.data.version}+{len(typed)}"
            as_of = time.time() if kind == "stock" else self.data.stock_as_of
            updated = ReferenceData(**fields, version=version, extra=keep, stock_as_of=as_of)
            reference_index(updated)  # built before the swap: no order waits for the arrays
            self.data = updated
        return {"rows_received": len(typed), "rows_total": len(merged)}


class ModelHolder:
    """Champions (and challengers, for shadow scoring) loaded from the MLflow registry.

    ``refresh`` reloads only models whose alias moved, so the service picks up a newly promoted
    champion without a restart; a model that fails to load leaves its type to the rules.
    """

    def __init__(
        self, tracking_uri: str | None, kinds: Sequence[str] = ("address", "stock", "price")
    ):
        self.tracking_uri = tracking_uri
        self.kinds = tuple(kinds)
        self.champions: dict[str, LoadedModel] = {}
        self.challengers: dict[str, LoadedModel] = {}
        self.errors: dict[str, str] = {}
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    def registry(self) -> Registry | None:
        if self._registry is None and self.tracking_uri:
            self._registry = Registry(self.tracking_uri)
        return self._registry

    def refresh(self) -> dict[str, str]:
        """Load any alias whose version changed; returns {kind: version} of what was (re)loaded."""
        changed: dict[str, str] = {}
        registry = self.registry()
        if registry is None:
            return changed
        for kind in self.kinds:
            for alias, slot in (("champion", self.champions), ("challenger", self.challengers)):
                name = MODEL_NAMES[kind]
                try:
                    version = registry.version_for(name, alias)
                    if version is None:
                        slot.pop(kind, None)
                        continue
                    if kind in slot and slot[kind].version == version:
                        continue
                    loaded = registry.load(name, alias)
                except Exception as exc:  # keep serving with what we have
                    log.exception("loading %s@%s failed", name, alias)
                    self.errors[f"{kind}@{alias}"] = str(exc)
                    continue
                if loaded is not None:
                    with self._lock:
                        slot[kind] = loaded
                    changed[f"{kind}@{alias}"] = loaded.version
        return changed

    def info(self) -> list[dict[str, Any]]:
        rows = [m.info() for m in self.champions.values()]
        rows += [m.info() for m in self.challengers.values()]
        return rows
