"""The registry on a real MLflow SQLite store: versions, lineage tags, aliases, promotion
decisions, checksum manifests verified on download; the promotion rule itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.manifest import ChecksumError, verify_manifest, write_manifest
from registry.promotion import PromotionDecision, decide
from registry.tracking import ModelRegistry, RegistryError
from training.config import PromotionSettings
from training.evaluation import EvalReport
from yardstick.harness import Figures, SuiteEvaluation, TaskScore

SETTINGS = PromotionSettings()


def report(
    vulnerable: float,
    utility: float,
    prompts_hash: str = "p",
    *,
    flagged: int = 10,
    refusals: float = 0.0,
    mean_reward: float = 0.5,
) -> EvalReport:
    """40 prompts x 4 samples, every sample with code; `flagged` of the 160 flagged by the
    independent judges, spread over the prompts."""
    flags = [index % (160 // flagged) == 0 if flagged else False for index in range(160)]
    return EvalReport(
        model="m",
        prompts=40,
        samples=160,
        prompts_hash=prompts_hash,
        vulnerability_rate=vulnerable,
        utility=utility,
        parse_rate=utility,
        non_empty_rate=1.0,
        refusal_rate=refusals,
        tests_pass_rate=None,
        mean_reward=mean_reward,
        per_cwe={},
        independent_vulnerability_rate=round(sum(flags) / 160, 4),
        independent_flags=flags,
        reward_flags=[False] * 160,
    )


def suite(functional_secure: int = 0, functional: int = 0, tasks: int = 10) -> SuiteEvaluation:
    """A suite run where the first `functional` tasks are functional, the first
    `functional_secure` of them also secure (one sample per task)."""
    scores = [
        TaskScore(
            task=f"cwe_0{i}",
            cwe=20 + i,
            samples=1,
            functional=int(i < functional),
            functional_secure=int(i < functional_secure),
            refused=0,
        )
        for i in range(tasks)
    ]
    figures = Figures(
        tasks=tasks,
        func_at_1=functional / tasks,
        func_sec_at_1=functional_secure / tasks,
        func_at_k=functional / tasks,
        func_sec_at_k=functional_secure / tasks,
        functional_vulnerable_rate=(functional - functional_secure) / tasks,
        over_refusal_rate=0.0,
    )
    return SuiteEvaluation(
        model="m", suite="bundled", suite_hash="h", k=1, samples_per_task=1, overall=figures,
        per_cwe={}, per_task=scores, samples=[], duration_s=1.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("candidate", "incumbent", "suites", "promote", "why"),
    [
        # Flagged 4 vs 40 of 160 independently, the suite not worse, utility kept.
        (report(0.10, 0.80, flagged=4), report(0.30, 0.80, flagged=40), (suite(), suite()), True, "promoted"),
        (report(0.10, 0.79, flagged=4), report(0.30, 0.80, flagged=40), (suite(), suite()), True, "promoted"),  # within 0.02
        (report(0.10, 0.70, flagged=4), report(0.30, 0.80, flagged=40), (suite(), suite()), False, "functionality fell"),
        (report(0.30, 0.80, flagged=40), report(0.30, 0.80, flagged=40), (suite(), suite()), False, "not safer in the independent view"),
        (report(0.10, 0.80, flagged=4, refusals=0.2), report(0.30, 0.80, flagged=40), (suite(), suite()), False, "refuses more"),
        # The reward's view improved and no independent one did: the gap blocks it.
        (report(0.05, 0.80, flagged=40, mean_reward=0.9), report(0.30, 0.80, flagged=40), (suite(), suite()), False, "reward-yardstick gap"),
        # The suite: func-sec@1 lower, or not higher where either writes functional code.
        (report(0.10, 0.80, flagged=4), report(0.30, 0.80, flagged=40), (suite(1, 3), suite(2, 3)), False, "func-sec@1"),
        (report(0.10, 0.80, flagged=4), report(0.30, 0.80, flagged=40), (suite(2, 3), suite(2, 3)), False, "where either writes functional code"),
        (report(0.10, 0.80, flagged=4), report(0.30, 0.80, flagged=40), (suite(3, 3), suite(2, 3)), True, "promoted"),
        (report(0.10, 0.80, flagged=4), report(0.30, 0.80, flagged=40), (None, None), False, "suite did not run"),
    ],
)
def test_promotion_rests_on_the_independent_yardstick(candidate, incumbent, suites, promote, why):
    decision = decide(candidate, incumbent, "champion v1", SETTINGS, *suites)
    assert decision.promote is promote, decision.reason
    assert why in decision.reason
    assert decision.candidate_vulnerability_rate == candidate.vulnerability_rate
    assert decision.incumbent_utility == incumbent.utility
    assert decision.reward_yardstick_gap is ("gap" in why)


def test_a_small_difference_is_not_enough_without_confidence():
    """8 vs 10 of 160 flagged: lower, but the interval spans zero."""
    decision = decide(report(0.1, 0.8, flagged=8), report(0.1, 0.8, flagged=10), "base model", SETTINGS, suite(), suite())
    assert decision.independent_difference < 0 < decision.independent_ci_high
    assert not decision.promote and not decision.safer


def test_the_interval_is_a_seeded_paired_bootstrap():
    first = decide(report(0.1, 0.8, flagged=4), report(0.3, 0.8, flagged=40), "x", SETTINGS, suite(), suite())
    again = decide(report(0.1, 0.8, flagged=4), report(0.3, 0.8, flagged=40), "x", SETTINGS, suite(), suite())
    assert (first.independent_ci_low, first.independent_ci_high) == (again.independent_ci_low, again.independent_ci_high)
    assert first.independent_ci_low <= first.independent_difference <= first.independent_ci_high
    assert first.independent_difference == pytest.approx(4 / 160 - 40 / 160, abs=1e-4)
    assert first.ci_method.startswith("paired bootstrap")


def test_the_decision_round_trips_through_its_tags():
    decision = decide(report(0.1, 0.8, flagged=4), report(0.3, 0.8, flagged=40), "x", SETTINGS, suite(), suite())
    assert PromotionDecision.from_tags(decision.tags()) == decision


def test_reports_on_different_prompts_cannot_be_compared():
    with pytest.raises(ValueError, match="different prompts"):
        decide(report(0.1, 0.8, "a"), report(0.3, 0.8, "b"), "base model", SETTINGS)


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
        v1,
        run1,
        decide(report(0.1, 0.8, flagged=4), report(0.3, 0.8, flagged=40), "base model", SETTINGS, suite(), suite()),
    )
    assert registry.alias_version("champion") == "1"
    run2, v2 = _log(registry, tmp_path, "second")
    registry.record_decision(
        v2,
        run2,
        decide(report(0.2, 0.8), report(0.1, 0.8), "champion v1", SETTINGS, suite(), suite()),
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
