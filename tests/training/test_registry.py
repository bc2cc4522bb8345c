"""The registry on a real MLflow SQLite store: versions, lineage tags, aliases, promotion
decisions, checksum manifests verified on download; the promotion rule itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.manifest import ChecksumError, verify_manifest, write_manifest
from registry.promotion import decide
from registry.tracking import ModelRegistry, RegistryError
from training.evaluation import EvalReport


def report(vulnerable: float, utility: float, prompts_hash: str = "p") -> EvalReport:
    return EvalReport(
        model="m",
        prompts=10,
        samples=40,
        prompts_hash=prompts_hash,
        vulnerability_rate=vulnerable,
        utility=utility,
        parse_rate=utility,
        non_empty_rate=1.0,
        refusal_rate=0.0,
        tests_pass_rate=None,
        mean_reward=0.5,
        per_cwe={},
    )


@pytest.mark.parametrize(
    ("candidate", "incumbent", "promote", "why"),
    [
        ((0.10, 0.80), (0.30, 0.80), True, "promoted"),
        ((0.10, 0.79), (0.30, 0.80), True, "promoted"),  # within the 0.02 tolerance
        ((0.10, 0.70), (0.30, 0.80), False, "utility fell beyond tolerance"),
        ((0.30, 0.90), (0.30, 0.80), False, "not less vulnerable"),
        ((0.40, 0.90), (0.30, 0.80), False, "not less vulnerable"),
    ],
)
def test_promotion_needs_less_vulnerable_code_without_losing_utility(
    candidate, incumbent, promote, why
):
    decision = decide(report(*candidate), report(*incumbent), "champion v1", 0.02)
    assert decision.promote is promote
    assert why in decision.reason
    assert decision.candidate_vulnerability_rate == candidate[0]
    assert decision.incumbent_utility == incumbent[1]


def test_reports_on_different_prompts_cannot_be_compared():
    with pytest.raises(ValueError, match="different prompts"):
        decide(report(0.1, 0.8, "a"), report(0.3, 0.8, "b"), "base model", 0.02)


def _model_folder(path: Path, weights: bytes) -> Path:
    (path / "adapters" / "sft").mkdir(parents=True)
    (path / "adapters" / "sft" / "adapter_model.safetensors").write_bytes(weights)
    (path / "flywheel_model.json").write_text("{}")
    return path


def test_a_tampered_or_incomplete_model_is_refused_naming_the_file(tmp_path: Path):
    folder = _model_folder(tmp_path / "m", b"weights")
    write_manifest(folder)
    assert "adapters/sft/adapter_model.safetensors" in verify_manifest(folder)
    weights = folder / "adapters" / "sft" / "adapter_model.safetensors"
    weights.write_bytes(b"tampered")
    with pytest.raises(ChecksumError, match="adapter_model.safetensors: sha256 differs"):
        verify_manifest(folder)
    weights.unlink()
    with pytest.raises(ChecksumError, match="adapter_model.safetensors: listed in .* but missing"):
        verify_manifest(folder)
    (folder / "checksums.json").unlink()
    with pytest.raises(ChecksumError, match="missing; refusing to load an unverified model"):
        verify_manifest(folder)


def _registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}", "coder", tmp_path / "artifacts")


def _log(registry: ModelRegistry, tmp_path: Path, name: str) -> tuple[str, str]:
    folder = _model_folder(tmp_path / name, name.encode())
    run_id, digest = registry.log_run(
        run_name=name,
        config={"sft": {"learning_rate": 0.001}, "stages": ["sft"]},
        metrics={"eval.candidate.vulnerability_rate": 0.1},
        tags={"lineage.snapshot_id": "7"},
        documents={"gate_report.json": {"passed": True}},
        model_dir=folder,
    )
    return run_id, registry.register(run_id, {"lineage.snapshot_id": "7", "model.sha256": digest})


def test_versions_aliases_and_decisions_are_recorded(tmp_path: Path):
    registry = _registry(tmp_path)
    run1, v1 = _log(registry, tmp_path, "first")
    assert (v1, registry.alias_version("challenger"), registry.alias_version("champion")) == (
        "1",
        "1",
        None,
    )
    registry.record_decision(
        v1, run1, decide(report(0.1, 0.8), report(0.3, 0.8), "base model", 0.02)
    )
    assert registry.alias_version("champion") == "1"
    run2, v2 = _log(registry, tmp_path, "second")
    registry.record_decision(
        v2, run2, decide(report(0.2, 0.8), report(0.1, 0.8), "champion v1", 0.02)
    )
    # The new version is the challenger; the champion stays where the rule says.
    assert (registry.alias_version("challenger"), registry.alias_version("champion")) == ("2", "1")
    tags = registry.version_tags(v2)
    assert tags["promotion.promote"] == "False"
    assert tags["promotion.against"] == "champion v1"
    assert tags["lineage.snapshot_id"] == "7" and len(tags["model.sha256"]) == 64
    run = registry.client.get_run(run2)
    assert run.data.params["sft.learning_rate"] == "0.001"
    assert run.data.metrics["eval.candidate.vulnerability_rate"] == 0.1
    artifacts = {a.path for a in registry.client.list_artifacts(run2)}
    assert {"gate_report.json", "promotion.json", "model"} <= artifacts
    listed = registry.versions()
    assert [(r.version, r.aliases) for r in listed] == [
        ("1", ["champion"]),
        ("2", ["challenger"]),
    ]


def test_downloads_are_verified_and_bad_uris_are_named(tmp_path: Path):
    registry = _registry(tmp_path)
    run_id, version = _log(registry, tmp_path, "first")
    local = registry.resolve("models:/coder/1", tmp_path / "cache")
    assert (local / "adapters" / "sft" / "adapter_model.safetensors").read_bytes() == b"first"
    assert registry.resolve(f"runs:/{run_id}/model", tmp_path / "cache2").is_dir()
    # Tamper with the stored artifact: the next download is refused.
    stored = next((tmp_path / "artifacts").rglob("adapter_model.safetensors"))
    stored.write_bytes(b"evil")
    with pytest.raises(ChecksumError, match="sha256 differs"):
        registry.resolve("models:/coder/1", tmp_path / "cache3")
    assert not list((tmp_path / "cache3").iterdir())  # nothing half-downloaded is kept
    with pytest.raises(RegistryError, match="no version of coder has alias 'champion'"):
        registry.resolve("models:/coder@champion", tmp_path / "cache4")
    with pytest.raises(RegistryError, match="expected models:/NAME@ALIAS"):
        registry.resolve("s3://bucket/model", tmp_path / "cache5")
    assert version == "1"
