"""Runtime settings from ORDERSIGHT_* environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything that differs between a laptop, CI and production."""

    model_config = SettingsConfigDict(env_prefix="ORDERSIGHT_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".ordersight"), description="state directory")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in home if unset")
    mlflow_uri: str | None = Field(default=None, description="MLflow tracking URI")
    reference_dir: Path = Field(default=Path("data/demo"), description="catalog/stock/... CSVs")
    rules_file: Path = Field(default=REPO_ROOT / "rules" / "default.yaml")
    api_keys: str = Field(default="", description="comma-separated keys; empty turns auth off")
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "ordersight:orders"
    shared_stream: bool = Field(
        default=False,
        description="keep the duplicate window and the stock ledger in Redis, shared by the API "
        "and every worker",
    )
    max_body_bytes: int = 10 * 1024 * 1024

    @field_validator("api_keys")
    @classmethod
    def _refuse_placeholder(cls, value: str) -> str:
        if any(k.strip() in {"changeme", "secret", "xxx"} for k in value.split(",")):
            raise ValueError("ORDERSIGHT_API_KEYS holds a placeholder key; set a real one")
        return value

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{(self.home / 'ordersight.db').resolve()}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
