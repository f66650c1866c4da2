"""The long-lived objects the API needs, built once at start (lifespan) and shared by routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ordersight.settings import Settings
from ordersight.storage import Repository
from serving.metrics import Metrics


@dataclass
class Services:
    settings: Settings
    repo: Repository
    api_keys: dict[str, str]
    scorer: Any = None  # serving.scorer.Scorer
    reference: Any = None  # serving.state.ReferenceHolder
    batcher: Any = None  # serving.batcher.MicroBatcher over scorer + recording
    metrics: Metrics = field(default_factory=Metrics)
