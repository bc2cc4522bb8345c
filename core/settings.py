"""All configuration, read once at startup: environment variables, then an optional TOML file.

Precedence: explicit arguments > FLYWHEEL_* environment variables > the TOML file named by
FLYWHEEL_CONFIG > defaults. Nothing reads the environment at import time: call
`load_settings()` where the program starts (the CLI, Dagster resources, the UI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"


class Settings(BaseSettings):
    """Where data lives and which backends to use (embedded defaults need no server)."""

    model_config = SettingsConfigDict(env_prefix="FLYWHEEL_", extra="forbid")

    profile: Literal["embedded", "production"] = Field(
        default="embedded",
        description="embedded: SQLite, local Qdrant and MLflow under home; production: the "
        "PostgreSQL, Qdrant and MLflow servers named below (each required)",
    )
    executor: Literal["multiprocess", "k8s"] = Field(
        default="multiprocess",
        description="how Dagster runs steps: processes on this host, or one Kubernetes job "
        "per step (the training steps on GPU nodes; infra/helm)",
    )
    home: Path = Field(
        default=Path(".flywheel"), description="data directory (SQLite, Qdrant, MLflow)"
    )
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in home")
    max_report_mb: int = Field(default=1024, ge=1, description="larger reports are refused")
    ingest_workers: int = Field(
        default=1,
        ge=0,
        description="processes preparing a large report (10,000+ findings in a run): 1 this "
        "one only, 0 one per available core (forked; for hosts with real cores, see "
        "docs/benchmarks.md)",
    )
    report_dirs: list[Path] = Field(
        default_factory=list, description="folders the Dagster sensor watches"
    )
    scan_repos: list[Path] = Field(
        default_factory=list,
        description="code trees the nightly schedule scans with the ensemble and ingests",
    )
    scan_cron: str = Field(default="0 2 * * *", description="when the nightly scan runs")
    scan_timezone: str = Field(default="UTC", description="time zone of scan_cron")
    advisory_db: Path | None = Field(
        default=None,
        description="folder of OSV advisories (JSON) the dependency check reads; none: no check",
    )

    qdrant_url: str | None = Field(
        default=None, description="Qdrant server URL; default: local mode in home/qdrant"
    )
    qdrant_api_key: str | None = Field(default=None, description="API key for the Qdrant server")
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="sentence-transformers model (name or folder); the default is bundled",
    )
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        default="onnx-int8",
        description="onnx: the model exported once and run with ONNX Runtime; onnx-int8: "
        "that export with int8 weights (about twice as fast on CPU, ~0.99 cosine); torch: "
        "sentence-transformers itself (used on a GPU)",
    )
    embedding_max_tokens: int = Field(default=128, ge=16, le=8192)
    labels_required: int = Field(
        default=1, ge=1, le=9, description="independent reviewers' labels each finding needs"
    )
    bulk_similarity: float = Field(
        default=0.95, gt=0, le=1, description="cosine above which findings are near-identical"
    )

    gate_thresholds: Path | None = Field(
        default=None,
        description="quality-gate thresholds YAML; default quality_gates/thresholds.yaml",
    )
    retrain_interval_s: int = Field(
        default=300, ge=10, description="seconds between evaluations of the retraining trigger"
    )
    train_config: Path | None = Field(
        default=None, description="training config YAML; default training/configs/tiny.yaml"
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking server (also read from MLFLOW_TRACKING_URI); "
        "default: SQLite store in home",
    )
    model_name: str = Field(
        default="flywheel-coder", min_length=1, description="registered model name in MLflow"
    )

    @field_validator("db_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                f"FLYWHEEL_DB_URL={value!r} is not a SQLite or PostgreSQL URL "
                "(sqlite:///path/findings.db or postgresql+psycopg://user@host/db)"
            )
        return value

    @model_validator(mode="after")
    def _production_has_servers(self) -> Settings:
        """Production never falls back to a file under home: a missing server is an error."""
        if self.profile != "production":
            return self
        missing = []
        if not (self.db_url or "").startswith("postgresql"):
            missing.append("FLYWHEEL_DB_URL (postgresql+psycopg://user@host/db)")
        if not self.qdrant_url:
            missing.append("FLYWHEEL_QDRANT_URL (http://qdrant:6333)")
        if not (self.mlflow_tracking_uri or "").startswith(("http://", "https://")):
            missing.append("MLFLOW_TRACKING_URI (http://mlflow:5000)")
        if missing:
            raise ValueError("FLYWHEEL_PROFILE=production needs " + ", ".join(missing))
        return self

    @field_validator("advisory_db")
    @classmethod
    def _advisory_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder of OSV advisories")
        return value

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'findings.db').resolve()}"

    @property
    def qdrant_path(self) -> Path:
        return self.home / "qdrant"

    @property
    def gate_reports_dir(self) -> Path:
        return self.home / "gate_reports"

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def training_dir(self) -> Path:
        return self.home / "training"

    @property
    def tiny_model_dir(self) -> Path:
        return self.home / "models" / "tiny"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance `flywheel run` records its runs in (DAGSTER_HOME for the UI)."""
        return self.home / "dagster"

    @property
    def review_queue_file(self) -> Path:
        return self.home / "review_queue.json"

    @property
    def onnx_cache(self) -> Path:
        return self.home / "models"

    @property
    def max_report_bytes(self) -> int:
        return self.max_report_mb * 1024 * 1024

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get("FLYWHEEL_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and FLYWHEEL_CONFIG), with explicit overrides on top."""
    config_file = os.environ.get("FLYWHEEL_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise FileNotFoundError(f"FLYWHEEL_CONFIG={config_file}: no such file")
    if os.environ.get("MLFLOW_TRACKING_URI") and "FLYWHEEL_MLFLOW_TRACKING_URI" not in os.environ:
        overrides.setdefault("mlflow_tracking_uri", os.environ["MLFLOW_TRACKING_URI"])
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
