"""Shared fixtures: one small demo world per test session, built by the real generator."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

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
