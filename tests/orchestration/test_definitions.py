"""The code location as `dagster dev` loads it, the nightly scan, the production profile, and
`flywheel run` refusing a bad configuration before it writes anything."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from pydantic import ValidationError

from core.settings import Settings
from orchestration.assets.findings import build_nightly_scan
from orchestration.definitions import build_definitions
from store import FindingsStore
from tests.conftest import EXAMPLES, seed_models
from tests.orchestration.conftest import FLYWHEEL

REPO = Path(__file__).resolve().parents[2]


def test_dagster_loads_the_code_location_from_pyproject(tmp_path: Path) -> None:
    # What `dagster dev` does first: load the module pyproject.toml names, resolve every job.
    env = {**os.environ, "FLYWHEEL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Validation successful" in done.stdout + done.stderr


def test_the_nightly_scan_requests_a_scan_of_each_configured_repository() -> None:
    schedule = build_nightly_scan(["/repos/a", "/repos/b"], "0 2 * * *", "UTC", "ingest_job")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    night = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    context = dg.build_schedule_context(scheduled_execution_time=night)
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_key == f"nightly-scan-{night.isoformat()}"
    assert request.run_config == {
        "ops": {"findings": {"config": {"scan": ["/repos/a", "/repos/b"]}}}
    }
    idle = build_nightly_scan([], "0 2 * * *", "UTC", "ingest_job")
    assert idle.default_status == dg.DefaultScheduleStatus.STOPPED
    result = idle.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=night))
    assert not result.run_requests and "FLYWHEEL_SCAN_REPOS" in result.skip_message


def test_the_scheduled_scan_ingests_the_tree_and_closes_what_was_fixed(
    tmp_path: Path, sample_service: Path
) -> None:
    settings = Settings(home=tmp_path / "home", advisory_db=EXAMPLES / "advisories")
    defs = build_definitions(settings)
    findings = defs.resolve_assets_def("findings")  # with the settings' resources bound
    config = {"ops": {"findings": {"config": {"scan": [str(sample_service)]}}}}

    def nightly_scan():  # the findings step of the run the schedule requests
        return dg.materialize([findings], run_config=config)

    first = nightly_scan()
    made = first.asset_materializations_for_node("findings")[0].metadata
    assert made["scanned_trees"].value == 1 and made["new"].value > 20
    store = FindingsStore(settings.database_url)
    assert set(store.count_by_tool()) == {"semgrep", "bandit", "depcheck"}
    assert {r.service for r in store.findings()} == {"sample_service"}

    # The team fixes the pickle call; the next night's scan marks its findings fixed.
    sessions = sample_service / "app" / "sessions.py"
    sessions.write_text(
        sessions.read_text()
        .replace("import pickle\n", "import json\n")
        .replace("pickle.loads(blob)", "json.loads(blob)")
    )
    second = nightly_scan()
    assert second.asset_materializations_for_node("findings")[0].metadata["fixed"].value >= 2
    fixed = [r for r in store.findings() if r.status == "fixed"]
    assert fixed and all(r.path == "app/sessions.py" for r in fixed)
    store.close()


def test_a_missing_tree_fails_the_run_naming_it_and_keeps_the_reports(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    job = build_definitions(settings).resolve_job_def("ingest_job")
    config = {
        "files": [str(EXAMPLES / "reports" / "bandit.json")],
        "scan": [str(tmp_path / "no-such-repo")],
    }
    result = job.execute_in_process(
        run_config={"ops": {"findings": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert (
        "no-such-repo: not a directory" in failure.step_failure_data.user_failure_data.description
    )
    store = FindingsStore(settings.database_url)
    assert store.count_by_tool() == {"bandit": 17}
    store.close()


def test_the_production_profile_needs_every_server() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(profile="production", db_url="sqlite:///x.db")
    message = str(raised.value)
    for variable in ("FLYWHEEL_DB_URL", "FLYWHEEL_QDRANT_URL", "MLFLOW_TRACKING_URI"):
        assert variable in message
    settings = Settings(
        profile="production",
        db_url="postgresql+psycopg://flywheel@postgres:5432/flywheel",
        qdrant_url="http://qdrant:6333",
        mlflow_tracking_uri="http://mlflow:5000",
    )
    resources = build_definitions(settings).resources
    assert resources["store"].database_url.startswith("postgresql+psycopg://")
    assert resources["vectors"].qdrant_url == "http://qdrant:6333"
    assert resources["training"].tracking_uri == "http://mlflow:5000"


def test_the_cli_names_what_production_lacks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYWHEEL_", "MLFLOW_"))}
    env.update(FLYWHEEL_HOME=str(tmp_path), FLYWHEEL_PROFILE="production")
    done = subprocess.run([FLYWHEEL, "run"], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert "configuration error: FLYWHEEL_PROFILE" in done.stderr
    assert "FLYWHEEL_QDRANT_URL" in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("variable", "content", "expected"),
    [
        ("FLYWHEEL_TRAIN_CONFIG", "base_model: tiny\nsft:\n  epochs: -1\n", "sft.epochs"),
        ("FLYWHEEL_TRAIN_CONFIG", "base_model: tiny\nstages: [grpo, sft]\n", "sft, dpo, grpo"),
        ("FLYWHEEL_GATE_THRESHOLDS", "version: 1\nmin_kappa: 3\n", "min_kappa"),
    ],
)
def test_flywheel_run_refuses_a_bad_config_before_writing_anything(
    tmp_path: Path, variable: str, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYWHEEL_", "MLFLOW_"))}
    env.update(FLYWHEEL_HOME=str(home), **{variable: str(bad)})
    done = subprocess.run([FLYWHEEL, "run"], env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert str(bad) in done.stderr and expected in done.stderr
    # Only the empty store the settings check opens; no finding, no model, no Dagster run.
    assert sorted(p.name for p in home.iterdir()) == ["findings.db"]
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    assert store.count() == 0
    store.close()


def test_flywheel_run_refuses_a_broken_decisions_file_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: Path, onnx_cache: Path
) -> None:
    # The sample's decisions file corrupted: the labels stage stops the loop, names the line,
    # and nothing from that file is stored (what was ingested before it stays).
    import orchestration.loop as loop
    from orchestration.loop import LoopError, run_loop

    broken = tmp_path / "decisions.jsonl"
    lines = loop.SAMPLE_DECISIONS.read_text().splitlines()
    broken.write_text("\n".join(lines[:3] + ["{not json"] + lines[3:]) + "\n")
    monkeypatch.setattr(loop, "SAMPLE_DECISIONS", broken)
    home = seed_models(tmp_path / "home", onnx_cache, tiny_model)
    with pytest.raises(LoopError, match=rf"{broken}: line 4"):
        run_loop(Settings(home=home))
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    assert store.count() == 60 and not store.label_states([r.id for r in store.findings()])
    store.close()


def test_a_dagster_run_in_flywheel_run_leaves_sigterm_as_it_found_it() -> None:
    """Started as a background job, `flywheel run` has SIGINT ignored; Dagster maps SIGTERM to
    SIGINT's disposition when a run ends, which would make the rest of the run (and every
    process it starts) deaf to `kill`."""
    import signal

    from orchestration.loop import LoopSummary, _execute

    @dg.op
    def noop() -> None:
        return None

    @dg.job
    def tiny() -> None:
        noop()

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        summary = LoopSummary()
        result = _execute(
            dg.Definitions(jobs=[tiny]), "tiny", dg.DagsterInstance.ephemeral(), {}, summary
        )
        assert result.success and summary.dagster_runs[0].startswith("tiny ")
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
