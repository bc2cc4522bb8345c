"""The gate on a stored snapshot: its report and data docs are kept as history; the
retraining sensor's decisions over a real store (Dagster's sensor test utilities); the
gate as a blocking asset check."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.assets.corpus import (
    GateResource,
    build_retrain_sensor,
    corpus_snapshot,
    quality_gate,
)
from orchestration.resources import FindingsStoreResource
from quality_gates.gate import run_gate
from quality_gates.thresholds import load_thresholds
from quality_gates.trigger import record_lineage
from store import FindingsStore
from store.accounts import set_active
from store.gate_history import gate_history, latest_gate_run, trigger_history
from store.labels import add_label
from store.snapshots import SnapshotError, create_snapshot, load_items
from store.tables import GateRun, TriggerEvaluation
from tests.gate.conftest import ingest_synthetic


def _policy(thresholds) -> dict:
    return thresholds.values.snapshot_policy(1)


def test_a_gate_run_is_stored_with_its_data_docs(
    corpus_store: FindingsStore, thresholds_file: Path, tmp_path: Path
) -> None:
    thresholds = load_thresholds(thresholds_file)
    snapshot, _ = create_snapshot(corpus_store.engine, _policy(thresholds))
    report = run_gate(corpus_store.engine, snapshot.id, thresholds, tmp_path / "reports")
    assert report.passed, report.summary()
    assert report.thresholds_hash == thresholds.sha256
    assert report.snapshot_hash == snapshot.content_hash
    docs = Path(report.docs_path)
    assert docs.is_file() and "Validation" in docs.read_text()
    pages = list(docs.parent.glob("validations/**/*.html"))
    assert len(pages) == 5  # one per table the expectations run on
    assert not list(docs.parent.glob("static/images/*.gif"))
    saved = json.loads((docs.parent.parent / "report.json").read_text())
    assert saved["passed"] is True and saved["gate_run_id"] == report.gate_run_id
    assert latest_gate_run(corpus_store.engine, snapshot.id) == report

    # a disabled reviewer fails the same snapshot now: history keeps both runs
    set_active(corpus_store.engine, "bob", False, actor="lena")
    again = run_gate(corpus_store.engine, snapshot.id, thresholds, tmp_path / "reports")
    assert not again.passed
    assert [o.name for o in again.failed()] == ["labels_from_active_reviewers"]
    assert again.failed()[0].observed == 12
    assert [r.passed for r in gate_history(corpus_store.engine)] == [True, False]


def test_a_relative_reports_folder_works(
    corpus_store: FindingsStore,
    thresholds_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default data folder is relative (./.flywheel); GX's data docs refuse relative paths.
    monkeypatch.chdir(tmp_path)
    thresholds = load_thresholds(thresholds_file)
    snapshot, _ = create_snapshot(corpus_store.engine, _policy(thresholds))
    report = run_gate(corpus_store.engine, snapshot.id, thresholds, Path(".flywheel/reports"))
    assert report.passed and Path(report.docs_path).is_file()
    assert (tmp_path / ".flywheel" / "reports").is_dir()


def test_gating_an_unknown_snapshot_writes_nothing(
    corpus_store: FindingsStore, tmp_path: Path
) -> None:
    with pytest.raises(SnapshotError, match="snapshot 9 does not exist"):
        run_gate(corpus_store.engine, 9, load_thresholds(), tmp_path / "reports")
    assert not (tmp_path / "reports").exists()
    assert gate_history(corpus_store.engine) == []


def test_a_failure_while_storing_the_report_leaves_no_docs(
    corpus_store: FindingsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thresholds = load_thresholds()
    snapshot, _ = create_snapshot(corpus_store.engine, _policy(thresholds))
    import quality_gates.gate as gate_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gate_module, "_prune_docs", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_gate(corpus_store.engine, snapshot.id, thresholds, tmp_path / "reports")
    assert list((tmp_path / "reports").iterdir()) == []
    assert gate_history(corpus_store.engine) == []


# The retraining sensor ---------------------------------------------------------------------


def _sensor_context(db_url: str, thresholds_file: Path, tmp_path: Path):
    resources = {
        "store": FindingsStoreResource(database_url=db_url),
        "gate": GateResource(
            thresholds_path=str(thresholds_file), reports_dir=str(tmp_path / "reports")
        ),
    }
    return dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources=resources)


def _evaluations(store: FindingsStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(TriggerEvaluation)).scalar_one()


def test_the_sensor_fires_only_when_the_gate_passes_and_the_corpus_grew(
    corpus_store: FindingsStore, db_url: str, thresholds_file: Path, tmp_path: Path
) -> None:
    sensor = build_retrain_sensor("retrain_job", 30)
    # The gate fails first: a reviewer's label disputes a finding (an open conflict).
    first_id = min(r.id for r in corpus_store.findings())
    add_label(corpus_store.engine, first_id + 1, "bob", "true_positive")
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        result = sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert "no registered model yet" in result.skip_message
    assert "no_unresolved_conflicts" in result.skip_message

    # bob takes his label back: the gate passes, no model was ever trained -> fire.
    from store.labels import undo_last_label

    undo_last_label(corpus_store.engine, "bob")
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        result = sensor(context)
    assert isinstance(result, dg.RunRequest), getattr(result, "skip_message", result)
    snapshot_id = int(result.tags["flywheel/snapshot"])
    assert result.run_config == {
        "ops": {"corpus_snapshot": {"config": {"snapshot_id": snapshot_id}}}
    }
    assert result.run_key.startswith("retrain-snapshot-")

    # The next tick does not ask again for the same snapshot.
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        again = sensor(context)
    assert isinstance(again, dg.SkipReason) and "already requested" in again.skip_message

    # A model is registered on that snapshot: +0 labels since, nothing to do.
    record_lineage(corpus_store.engine, "flywheel-coder", "1", snapshot_id)
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        idle = sensor(context)
    assert isinstance(idle, dg.SkipReason)
    assert idle.skip_message.startswith("+0 decided labels (+0.0%) since snapshot")
    assert "flywheel-coder v1" in idle.skip_message

    # 5 new labels: +8% of 60, short of 10% (and of 200 labels).
    new_ids = ingest_synthetic(corpus_store, tmp_path, 12, start=60)
    for position, finding_id in enumerate(new_ids[:5]):
        verdict = "true_positive" if position % 2 == 0 else "false_positive"
        add_label(corpus_store.engine, finding_id, "alice", verdict, fixed_code="safe()")
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        short = sensor(context)
    assert isinstance(short, dg.SkipReason)
    assert short.skip_message.startswith("+5 decided labels (+8.3%)")

    # 7 more: +20%, the gate still passes -> retrain on a new snapshot.
    for position, finding_id in enumerate(new_ids[5:]):
        verdict = "false_positive" if position % 2 == 0 else "true_positive"
        add_label(corpus_store.engine, finding_id, "alice", verdict, fixed_code="safe()")
    with _sensor_context(db_url, thresholds_file, tmp_path) as context:
        grown = sensor(context)
    assert isinstance(grown, dg.RunRequest)
    assert int(grown.tags["flywheel/snapshot"]) != snapshot_id
    assert len(load_items(corpus_store.engine, int(grown.tags["flywheel/snapshot"]))) == 72

    # Every evaluation is on record, newest first, with its reason.
    history = trigger_history(corpus_store.engine)
    assert [e.fired for e in history] == [True, False, False, False, True, False]
    assert _evaluations(corpus_store) == 6
    assert history[0].decided_baseline == 60 and history[0].decided_now == 72
    assert all(e.reason for e in history)


def test_the_gate_is_not_rerun_on_a_snapshot_it_already_judged(
    corpus_store: FindingsStore, db_url: str, thresholds_file: Path, tmp_path: Path
) -> None:
    add_label(
        corpus_store.engine, min(r.id for r in corpus_store.findings()) + 1, "bob", "true_positive"
    )
    sensor = build_retrain_sensor("retrain_job", 30)
    for _ in range(3):
        with _sensor_context(db_url, thresholds_file, tmp_path) as context:
            assert isinstance(sensor(context), dg.SkipReason)
    with corpus_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(GateRun)).scalar_one() == 1
    assert _evaluations(corpus_store) == 3


# The blocking check ------------------------------------------------------------------------


@dg.asset(deps=["corpus_snapshot"])
def trained_on_it() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"trained": True})


def _materialize(db_url: str, thresholds_file: Path, tmp_path: Path):
    @dg.asset(name="findings")
    def findings_stand_in() -> None:  # corpus_snapshot depends on the ingest asset
        return None

    return dg.materialize(
        [findings_stand_in, corpus_snapshot, quality_gate, trained_on_it],
        selection=["corpus_snapshot", "trained_on_it"],
        resources={
            "store": FindingsStoreResource(database_url=db_url),
            "gate": GateResource(
                thresholds_path=str(thresholds_file), reports_dir=str(tmp_path / "reports")
            ),
        },
        raise_on_error=False,
    )


def test_a_failing_gate_blocks_everything_downstream(
    corpus_store: FindingsStore, db_url: str, thresholds_file: Path, tmp_path: Path
) -> None:
    add_label(
        corpus_store.engine, min(r.id for r in corpus_store.findings()) + 1, "bob", "true_positive"
    )
    result = _materialize(db_url, thresholds_file, tmp_path)
    assert not result.success
    assert result.asset_materializations_for_node("corpus_snapshot")
    assert not result.asset_materializations_for_node("trained_on_it")
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["observed/no_unresolved_conflicts"].value == 1.0
    assert evaluation.metadata["observed/labeled_volume"].value == 59.0
    assert "no_unresolved_conflicts" in evaluation.description


def test_a_passing_gate_lets_downstream_assets_materialize(
    corpus_store: FindingsStore, db_url: str, thresholds_file: Path, tmp_path: Path
) -> None:
    result = _materialize(db_url, thresholds_file, tmp_path)
    assert result.success
    assert result.asset_materializations_for_node("trained_on_it")
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed
    assert Path(evaluation.metadata["data_docs"].value).is_file()
    snapshot_meta = result.asset_materializations_for_node("corpus_snapshot")[0].metadata
    assert snapshot_meta["decided"].value == 60
