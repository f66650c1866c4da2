"""Shared fixtures: one small demo world per test session, built by the real generator."""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

SMALL_WORLD = {"seed": 11, "days": 400, "n_orders": 20_000}


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test old compiled code: a module edited after `make compile` would still run
    its extension module (Python imports it before the source)."""
    from ordersight.mypyc_build import stale_modules

    stale = stale_modules()
    if stale:
        pytest.exit(f"edited after `make compile`: {stale}; run `make compile` (or `make pure`)", 4)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deterministic small world (reference files, history, labeled orders)."""
    from training.demo import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out, progress=False, **SMALL_WORLD)
    return out


def service_settings(world: Path, home: Path, api_keys: str, mlflow_uri: str | None = None):
    """Settings for a service under test: its own copy of the world's reference files (updates
    through the API land there) and of the default rule file; models from ``mlflow_uri`` (a fresh,
    empty registry when None)."""
    from ordersight.settings import REPO_ROOT, Settings

    ref = home / "reference"
    shutil.copytree(world, ref, ignore=shutil.ignore_patterns("orders*", "history.csv"))
    rules = home / "rules.yaml"
    shutil.copy(REPO_ROOT / "rules" / "default.yaml", rules)
    return Settings(
        home=home,
        reference_dir=ref,
        rules_file=rules,
        api_keys=api_keys,
        mlflow_uri=mlflow_uri or f"sqlite:///{home / 'mlflow.db'}",
    )


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def redis_keys() -> Iterator[tuple[Any, str]]:
    """The local Redis and a key prefix of this test's own; its keys are deleted after."""
    if not port_open("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"ordersight:test:{uuid.uuid4().hex[:8]}"
    yield client, prefix
    left = client.keys(f"{prefix}*")
    if left:
        client.delete(*left)


@pytest.fixture(params=["memory", "redis"])
def new_stream(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Makes order streams (``RecentOrders``) whose duplicate window and stock ledger are in this
    process's memory, or in the local Redis (``serving.shared_stream``): each its own, or those
    of ``like`` (another process on the same stream)."""
    from features.duplicates import RecentOrders
    from serving.shared_stream import RedisLedger, RedisLink, RedisWindow

    made = iter(range(1_000))

    def make(
        like: RecentOrders | None = None, window: timedelta = timedelta(hours=24)
    ) -> RecentOrders:
        recent = RecentOrders(window=window)
        if like is not None:
            recent.shared, recent.stock_taken.shared = like.shared, like.stock_taken.shared
        elif request.param == "redis":
            client, prefix = request.getfixturevalue("redis_keys")
            prefix = f"{prefix}:{next(made)}"
            link = RedisLink(client)
            recent.shared = RedisWindow(link, prefix, window)
            recent.stock_taken.shared = RedisLedger(link, prefix)
        return recent

    return make


@pytest.fixture(scope="session")
def trained_settings(small_world: Path, tmp_path_factory: pytest.TempPathFactory):
    """Settings whose MLflow registry holds address, stock and price models trained once on the
    small world (the real `ordersight train` pipeline)."""
    from ordersight.settings import REPO_ROOT, Settings
    from training.pipeline import train_all

    home = tmp_path_factory.mktemp("trained")
    settings = Settings(
        home=home,
        reference_dir=small_world,
        rules_file=REPO_ROOT / "rules" / "default.yaml",
        mlflow_uri=f"sqlite:///{home / 'mlflow.db'}",
    )
    report = train_all(
        small_world, ["address", "stock", "price"], if_missing=False, settings=settings
    )
    settings.__dict__["train_report"] = report
    return settings


class ScorerFailingOn:
    """Builds the real scorer with one fault: it raises wherever the order ``POISON`` is in the
    batch (the stand-in for a bug on some order; no real order is known to cause one)."""

    POISON = "poison-order"

    @classmethod
    def wrap(cls, scorer):
        from serving.service import Scorer

        class _Failing(Scorer):
            def score(self, orders):
                if any(o.order_id == cls.POISON for o in orders):
                    raise RuntimeError("feature code broke")
                return super().score(orders)

        return _Failing(scorer.reference, scorer.rules, scorer.models, scorer.metrics)
