"""MLflow tracking + model registry: the only module that imports mlflow.

Models are plain classes with ``save(dir)`` / ``load(dir)``; here they are logged as MLflow pyfunc
models (so ``mlflow models serve`` can serve them) and registered under CONTRACT §7 names. The
service loads alias ``champion`` straight from the artifact directory, skipping pyfunc overhead.
"""

from __future__ import annotations

import importlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

MODEL_NAMES = {
    "address": "ordersight-address",
    "stock": "ordersight-stock",
    "price": "ordersight-price",
    "demand": "ordersight-demand",
}
CLASS_FILE = "ordersight_model.json"


class RegistryPort(Protocol):
    """What training pipelines need of a registry (tests pass a real one on a temp store)."""

    def log_and_register(
        self,
        name: str,
        model: Any,
        metrics: dict[str, float],
        params: dict[str, Any],
        report: dict[str, Any],
        gates_passed: bool,
    ) -> str: ...


@dataclass
class LoadedModel:
    name: str
    version: str
    alias: str
    model: Any
    trained_at: str = ""
    metrics: dict[str, float] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "trained_at": self.trained_at,
            "metrics": self.metrics,
        }


def _class_path(obj: Any) -> str:
    return f"{type(obj).__module__}:{type(obj).__qualname__}"


def load_model_dir(path: Path) -> Any:
    """Rebuild a model from a directory written by ``save_model_dir``."""
    meta = json.loads((path / CLASS_FILE).read_text())
    module, _, qualname = meta["class"].partition(":")
    cls = getattr(importlib.import_module(module), qualname)
    return cls.load(path / "model")


def save_model_dir(model: Any, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    model.save(path / "model")
    (path / CLASS_FILE).write_text(json.dumps({"class": _class_path(model)}))


class Registry:
    """Thin façade over one MLflow tracking URI (tests point it at a temporary directory)."""

    def __init__(self, tracking_uri: str, experiment: str = "ordersight"):
        import mlflow

        self.tracking_uri = tracking_uri
        self._mlflow = mlflow
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        self.client = mlflow.MlflowClient(tracking_uri, registry_uri=tracking_uri)
        if self.client.get_experiment_by_name(experiment) is None:
            self.client.create_experiment(
                experiment, artifact_location=_artifact_root(tracking_uri)
            )
        self.experiment = experiment

    def log_and_register(
        self,
        name: str,
        model: Any,
        metrics: dict[str, float],
        params: dict[str, Any],
        report: dict[str, Any],
        gates_passed: bool,
        alias: str | None = None,
    ) -> str:
        """Log a run with params/metrics/report and the model; register it; move the alias
        ``champion`` only when the quality gates passed (else the version becomes ``challenger``).
        ``alias`` overrides that choice (a notebook registering a challenger on purpose), but a
        version that failed its gates never becomes ``champion``. Returns the new version."""
        mlflow = self._mlflow
        mlflow.set_experiment(self.experiment)
        with mlflow.start_run(run_name=name), tempfile.TemporaryDirectory() as tmp:
            mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
            clean = {k: float(v) for k, v in metrics.items() if _is_number(v)}
            mlflow.log_metrics(clean)
            mlflow.log_dict(report, "evaluation_report.json")
            mlflow.set_tag("gates_passed", str(gates_passed))
            model_dir = Path(tmp) / "model_dir"
            save_model_dir(model, model_dir)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("pyfunc_model.py")),
                artifacts={"model_dir": str(model_dir)},
                pip_requirements=_requirements(),
            )
            version = mlflow.register_model(info.model_uri, name).version
        if alias is None or (alias == "champion" and not gates_passed):
            alias = "champion" if gates_passed else "challenger"
        self.client.set_registered_model_alias(name, alias, str(version))
        return str(version)

    def version_for(self, name: str, alias: str = "champion") -> str | None:
        try:
            return str(self.client.get_model_version_by_alias(name, alias).version)
        except self._mlflow.exceptions.MlflowException:
            return None

    def load(self, name: str, alias: str = "champion") -> LoadedModel | None:
        """Load the version behind ``alias`` (None when there is none)."""
        try:
            mv = self.client.get_model_version_by_alias(name, alias)
        except self._mlflow.exceptions.MlflowException:
            return None
        local = Path(
            self._mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{mv.version}", tracking_uri=self.tracking_uri
            )
        )
        model_dir = next(local.rglob(CLASS_FILE)).parent
        run = self.client.get_run(mv.run_id)
        return LoadedModel(
            name=name,
            version=str(mv.version),
            alias=alias,
            model=load_model_dir(model_dir),
            trained_at=_iso(run.info.end_time or run.info.start_time),
            metrics=dict(run.data.metrics),
        )

    def has_champion(self, name: str) -> bool:
        return self.version_for(name) is not None

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Every registered version with its aliases, gate result and metrics (newest first)."""
        rows = []
        for mv in self.client.search_model_versions(f"name='{name}'"):
            run = self.client.get_run(mv.run_id)
            rows.append(
                {
                    "version": int(mv.version),
                    "aliases": ",".join(getattr(mv, "aliases", []) or []),
                    "gates_passed": run.data.tags.get("gates_passed") == "True",
                    "trained_at": _iso(run.info.end_time or run.info.start_time),
                    **run.data.metrics,
                }
            )
        return sorted(rows, key=lambda r: r["version"], reverse=True)

    def promote(self, name: str, version: str, alias: str = "champion") -> None:
        """Point ``alias`` at ``version`` (a person's call after comparing in a notebook)."""
        self.client.set_registered_model_alias(name, alias, str(version))


def _requirements() -> list[str]:
    """Pinned from what is installed, so MLflow skips its slow requirement inference."""
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("mlflow", "lightgbm", "pandas", "numpy", "scikit-learn")]


def _artifact_root(tracking_uri: str) -> str | None:
    """Artifacts beside a SQLite tracking store (not in ./mlruns of whatever the cwd is)."""
    if tracking_uri.startswith("sqlite:///"):
        return (
            Path(tracking_uri.removeprefix("sqlite:///"))
            .resolve()
            .parent.joinpath("mlartifacts")
            .as_uri()
        )
    return None


def _iso(epoch_ms: int | None) -> str:
    if not epoch_ms:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(timespec="seconds")


def _is_number(value: Any) -> bool:
    try:
        return value == value and float(value) is not None  # NaN-free
    except (TypeError, ValueError):
        return False
