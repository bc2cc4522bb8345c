"""Dagster: the `findings` asset materialized in process, the report sensor, the Definitions."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from core.settings import Settings
from orchestration.assets.findings import (
    build_findings_asset,
    build_report_sensor,
    new_report_files,
)
from orchestration.definitions import build_definitions
from orchestration.resources import FindingsStoreResource, ScannerResource
from store import FindingsStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_findings_asset_materializes_into_the_store(db_url: str) -> None:
    findings = build_findings_asset([str(EXAMPLES / "reports")])
    result = dg.materialize(
        [findings],
        resources={
            "store": FindingsStoreResource(database_url=db_url),
            "scanners": ScannerResource(),
        },
        run_config={
            "ops": {
                "findings": {
                    "config": {
                        "repo": str(EXAMPLES / "sample_service"),
                        "repository": "examples/sample_service",
                        "service": "sample-service",
                    }
                }
            }
        },
    )
    assert result.success
    materialization = result.asset_materializations_for_node("findings")[0]
    assert materialization.metadata["new"].value == 52
    assert materialization.metadata["failed_reports"].value == 0

    store = FindingsStore(db_url)
    rows = store.findings()
    assert len(rows) == 52
    assert {r.tool for r in rows} == {"bandit", "semgrep", "gitleaks", "pip-audit"}
    assert all(r.service == "sample-service" for r in rows)
    # Code context came from the checkout: enclosing functions and languages are known.
    sql = [r for r in rows if r.rule_id == "flywheel.python.sql-injection-from-parameter"]
    assert {r.enclosing for r in sql} == {"def find_orders", "def search_products"}
    assert all(r.language == "python" for r in sql)
    store.close()


def test_findings_asset_fails_loudly_but_keeps_good_reports(db_url: str, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "reports" / "bandit.json", tmp_path / "bandit.json")
    (tmp_path / "broken.sarif").write_text('{"version": "2.1.0", "runs": [')
    findings = build_findings_asset([str(tmp_path)])
    result = dg.materialize(
        [findings],
        resources={
            "store": FindingsStoreResource(database_url=db_url),
            "scanners": ScannerResource(),
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("findings")
    assert "broken.sarif: not valid JSON" in failure.error.message + str(failure.user_failure_data)
    assert FindingsStore(db_url).count() == 17  # bandit.json was stored


def test_new_reports_sensor_requests_runs_for_new_and_changed_files(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    sensor = build_report_sensor([str(folder)], "ingest_job")

    context = dg.build_sensor_context(cursor=None)
    assert isinstance(list(sensor(context))[0], dg.SkipReason)  # nothing yet

    shutil.copy(EXAMPLES / "reports" / "bandit.json", folder / "bandit.json")
    shutil.copy(EXAMPLES / "reports" / "semgrep.sarif", folder / "semgrep.sarif")
    (folder / "notes.txt").write_text("not a report")
    context = dg.build_sensor_context(cursor=context.cursor)
    requests = list(sensor(context))
    assert len(requests) == 1 and isinstance(requests[0], dg.RunRequest)
    files = requests[0].run_config["ops"]["findings"]["config"]["files"]
    assert sorted(Path(f).name for f in files) == ["bandit.json", "semgrep.sarif"]

    # Nothing new: skip. One new file: a run for that file only.
    context = dg.build_sensor_context(cursor=context.cursor)
    assert isinstance(list(sensor(context))[0], dg.SkipReason)
    shutil.copy(EXAMPLES / "reports" / "gitleaks.json", folder / "gitleaks.json")
    context = dg.build_sensor_context(cursor=context.cursor)
    (request,) = list(sensor(context))
    assert [Path(f).name for f in request.run_config["ops"]["findings"]["config"]["files"]] == [
        "gitleaks.json"
    ]


def test_sensor_without_folders_says_why() -> None:
    sensor = build_report_sensor([], "ingest_job")
    (skip,) = list(sensor(dg.build_sensor_context()))
    assert isinstance(skip, dg.SkipReason) and "FLYWHEEL_REPORT_DIRS" in skip.skip_message


def test_changed_file_is_new_again(tmp_path: Path) -> None:
    report = tmp_path / "scan.json"
    report.write_text("{}")
    changed, cursor = new_report_files([str(tmp_path)], None)
    assert changed == [report]
    report.write_text('{"results": []}')
    changed, _ = new_report_files([str(tmp_path)], cursor)
    assert changed == [report]


def test_definitions_load_and_run_ingest_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FLYWHEEL_REPORT_DIRS", f'["{EXAMPLES / "reports"}"]')
    from orchestration.definitions import defs  # the code location Dagster loads

    definitions = defs() if callable(defs) else defs
    dg.Definitions.validate_loadable(definitions)
    job = definitions.resolve_job_def("ingest_job")
    result = job.execute_in_process()
    assert result.success
    store = FindingsStore(f"sqlite:///{tmp_path / 'home' / 'findings.db'}")
    assert store.count() == 52
    assert [s.name for s in definitions.sensors] == ["new_reports_sensor", "retrain_on_growth"]
    assert {job.name for job in definitions.jobs} == {"ingest_job", "retrain_job"}
    checks = definitions.resolve_asset_graph().asset_check_keys
    assert {key.name for key in checks} == {"quality_gate"}


def test_build_definitions_uses_the_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, db_url=f"sqlite:///{tmp_path / 'x.db'}")
    definitions = build_definitions(settings)
    assert definitions.resources["store"].database_url == settings.database_url
