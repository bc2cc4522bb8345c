"""MLflow: training runs, registered model versions with lineage, aliases, downloads.

The only module that imports mlflow. A run logs the training config as params, the stage and
evaluation figures as metrics, the snapshot id and hash, the gate report, dataset statistics
and evaluation reports as JSON, and the trained-model folder (adapters, tokenizer, optional
merged weights) with a checksum manifest. `resolve` downloads a model by URI and verifies the
manifest before anything loads it.

Tracking: a SQLite store in the data directory by default (`sqlite:///$FLYWHEEL_HOME/mlflow.db`,
artifacts in `$FLYWHEEL_HOME/mlartifacts`), or a tracking server by `MLFLOW_TRACKING_URI`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from registry.manifest import manifest_digest, verify_manifest, write_manifest
from registry.promotion import PromotionDecision

EXPERIMENT = "flywheel-training"
CHALLENGER, CHAMPION = "challenger", "champion"
_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")


class RegistryError(RuntimeError):
    """The registry cannot do what was asked; the message says what and where."""


class ModelVersion(BaseModel):
    """A registered version: its aliases, its run, and the tags that carry its lineage
    (`lineage.*`), its checksum (`model.sha256`) and its promotion decision (`promotion.*`)."""

    model_config = ConfigDict(frozen=True)

    version: str
    aliases: list[str]
    run_id: str | None
    tags: dict[str, str]

    @property
    def decision(self) -> PromotionDecision | None:
        return PromotionDecision.from_tags(self.tags)


def _flat(prefix: str, values: Any) -> dict[str, str]:
    """Nested config -> MLflow params (`sft.learning_rate` ...), values at most 500 chars."""
    if isinstance(values, dict):
        flat: dict[str, str] = {}
        for key, value in values.items():
            flat.update(_flat(f"{prefix}.{key}" if prefix else str(key), value))
        return flat
    return {prefix: json.dumps(values) if isinstance(values, list) else str(values)[:500]}


class ModelRegistry:
    def __init__(self, tracking_uri: str, model_name: str, artifact_root: Path | None = None):
        # deferred: MLflow takes ~2 s to import
        from mlflow.tracking import MlflowClient

        # Progress bars on every download clutter the CLI and the logs of scheduled runs.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._artifact_root = artifact_root

    def _experiment_id(self) -> str:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return experiment.experiment_id
        location = None
        if self._artifact_root is not None and self.tracking_uri.startswith("sqlite:"):
            self._artifact_root.mkdir(parents=True, exist_ok=True)
            location = self._artifact_root.resolve().as_uri()
        return self.client.create_experiment(EXPERIMENT, artifact_location=location)

    # Runs -----------------------------------------------------------------------------------

    def log_run(
        self,
        *,
        run_name: str,
        config: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        documents: dict[str, Any],
        model_dir: Path,
    ) -> tuple[str, str]:
        """One finished run; returns (run id, checksum digest of the model folder)."""
        # deferred: MLflow takes ~2 s to import
        from mlflow.entities import Metric, Param, RunTag

        sums = write_manifest(model_dir)
        digest = manifest_digest(sums)
        run = self.client.create_run(
            self._experiment_id(), run_name=run_name, tags={**tags, "model.sha256": digest}
        )
        run_id = run.info.run_id
        try:
            params = [Param(k, v) for k, v in sorted(_flat("", config).items())]
            now = run.info.start_time
            values = [Metric(k, float(v), now, 0) for k, v in sorted(metrics.items())]
            for start in range(0, max(len(params), len(values)), 100):
                self.client.log_batch(
                    run_id,
                    metrics=values[start : start + 100],
                    params=params[start : start + 100],
                    tags=[RunTag("flywheel", "train")] if start == 0 else [],
                )
            for name, document in documents.items():
                self.client.log_dict(run_id, document, name)
            self.client.log_artifacts(run_id, str(model_dir), "model")
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")
        return run_id, digest

    # Versions and aliases -------------------------------------------------------------------

    def register(self, run_id: str, tags: dict[str, str]) -> str:
        """A new version of the model from the run's `model` folder, alias `challenger`."""
        # deferred: MLflow takes ~2 s to import
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            self.client.create_registered_model(
                self.model_name, description="Code model fine-tuned on reviewed scanner findings"
            )
        source = f"{self.client.get_run(run_id).info.artifact_uri}/model"
        version = self.client.create_model_version(
            self.model_name, source=source, run_id=run_id, tags=tags
        ).version
        self.client.set_registered_model_alias(self.model_name, CHALLENGER, version)
        return str(version)

    def alias_version(self, alias: str) -> str | None:
        # deferred: MLflow takes ~2 s to import
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(self.model_name, alias).version)
        except MlflowException:
            return None

    def version_tags(self, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(self.model_name, version).tags)

    def record_decision(self, version: str, run_id: str, decision: PromotionDecision) -> None:
        """Tags on the version, promotion.json on its run, and the alias when it won."""
        for key, value in decision.tags().items():
            self.client.set_model_version_tag(self.model_name, version, key, value)
        self.client.log_dict(run_id, decision.model_dump(mode="json"), "promotion.json")
        if decision.promote:
            self.client.set_registered_model_alias(self.model_name, CHAMPION, version)

    def find_version(self, tags: dict[str, str]) -> ModelVersion | None:
        """The newest version carrying all these tags."""
        matching = [v for v in self.versions() if all(v.tags.get(k) == x for k, x in tags.items())]
        return matching[-1] if matching else None

    def versions(self) -> list[ModelVersion]:
        rows = []
        for found in self.client.search_model_versions(f"name='{self.model_name}'"):
            # search results omit aliases; the version itself carries them
            mv = self.client.get_model_version(self.model_name, found.version)
            rows.append(
                ModelVersion(
                    version=str(mv.version),
                    aliases=list(getattr(mv, "aliases", []) or []),
                    run_id=mv.run_id,
                    tags=dict(mv.tags),
                )
            )
        return sorted(rows, key=lambda row: int(row.version))

    # Downloads ------------------------------------------------------------------------------

    def _source(self, uri: str) -> str:
        match = _MODELS_URI.match(uri)
        if match:
            name = match["name"]
            if name != self.model_name:
                registry = ModelRegistry(self.tracking_uri, name)
                return registry._source(uri)
            version = match["version"] or self.alias_version(match["alias"])
            if version is None:
                raise RegistryError(f"{uri}: no version of {name} has alias {match['alias']!r}")
            # deferred: MLflow takes ~2 s to import
            from mlflow.exceptions import MlflowException

            try:
                return self.client.get_model_version(name, version).source
            except MlflowException:
                raise RegistryError(f"{uri}: no such model version") from None
        if uri.startswith("runs:/"):
            run_id, _, path = uri[len("runs:/") :].partition("/")
            return f"{self.client.get_run(run_id).info.artifact_uri}/{path or 'model'}"
        raise RegistryError(f"{uri}: expected models:/NAME@ALIAS, models:/NAME/VERSION or runs:/")

    def resolve(self, uri: str, cache: Path) -> Path:
        """A local, verified copy of the model at `uri` (a local folder is verified in place
        when it has a manifest)."""
        if "://" in uri and not uri.startswith("runs:/"):
            raise RegistryError(
                f"{uri}: expected models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ or a folder"
            )
        if not uri.startswith(("models:/", "runs:/")):
            folder = Path(uri)
            if (folder / "checksums.json").is_file():
                verify_manifest(folder)
            return folder
        # deferred: MLflow takes ~2 s to import
        import mlflow.artifacts

        source = self._source(uri)
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache, prefix="download-"))
        try:
            local = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=source, dst_path=str(staging), tracking_uri=self.tracking_uri
                )
            )
            verify_manifest(local)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return local
