"""Collect: report folders -> the `findings` asset, and the sensor that watches the folders."""

# No `from __future__ import annotations` here: Dagster reads the asset's parameter types
# (config and resources) at definition time and does not resolve string annotations.
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg

from ingest.pipeline import IngestOptions, ingest_paths
from orchestration.resources import FindingsStoreResource

REPORT_SUFFIXES = (".json", ".sarif")


class ReportFiles(dg.Config):
    """Which reports to ingest: explicit files (what the sensor passes), else every report
    under the folders (default: the configured report folders)."""

    files: list[str] = []
    folders: list[str] = []
    repo: str | None = None  # checkout for code context
    repository: str | None = None
    service: str = ""
    commit: str | None = None


def discover_reports(folders: Iterable[str | Path]) -> list[Path]:
    """Every report file (*.json, *.sarif) under the folders, in a stable order."""
    found: set[Path] = set()
    for folder in folders:
        root = Path(folder)
        if root.is_file():
            found.add(root)
        elif root.is_dir():
            found.update(p for p in root.rglob("*") if p.is_file() and p.suffix in REPORT_SUFFIXES)
    return sorted(found)


def build_findings_asset(default_folders: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        name="findings",
        group_name="collect",
        kinds={"sql"},
        description="Normalized findings in the store, ingested from scanner reports.",
    )
    def findings(
        context: dg.AssetExecutionContext, config: ReportFiles, store: FindingsStoreResource
    ) -> dg.MaterializeResult:
        paths = [Path(f) for f in config.files] or discover_reports(
            config.folders or default_folders
        )
        if not paths:
            raise dg.Failure(
                "no reports to ingest: configure report folders (FLYWHEEL_REPORT_DIRS) or pass "
                "`files` / `folders` in the run config"
            )
        options = IngestOptions(
            repo=Path(config.repo) if config.repo else None,
            repository=config.repository,
            service=config.service,
            commit=config.commit,
            max_report_bytes=store.max_report_bytes,
        )
        summary = ingest_paths(paths, store.store, options)
        for report in summary.reports:
            for warning in report.warnings:
                context.log.warning(f"{report.path}: {warning}")
        totals = summary.totals()
        metadata = {
            "reports": len(summary.reports),
            "failed_reports": len(summary.failed),
            **{outcome: totals[outcome] for outcome in ("new", "unchanged", "fixed", "reopened")},
            "stored_findings": store.store.count(),
        }
        if summary.failed:
            # The good reports are stored (one transaction each); the run still fails loudly.
            raise dg.Failure(
                description="\n".join(r.error or r.path for r in summary.failed),
                metadata=metadata,
            )
        return dg.MaterializeResult(metadata=metadata)

    return findings


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def new_report_files(folders: Iterable[str], cursor: str | None) -> tuple[list[Path], str]:
    """Report files that are new or changed since `cursor`, and the cursor after them."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    current = {str(p): _signature(p) for p in discover_reports(folders)}
    changed = [Path(p) for p, sig in current.items() if seen.get(p) != sig]
    return changed, json.dumps(current, sort_keys=True)


def build_report_sensor(folders: list[str], job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_reports_sensor",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts ingest_job for report files that appear or change in the folders.",
    )
    def new_reports_sensor(
        context: dg.SensorEvaluationContext,
    ) -> Iterator[dg.RunRequest | dg.SkipReason]:
        if not folders:
            yield dg.SkipReason("no report folders configured (set FLYWHEEL_REPORT_DIRS)")
            return
        changed, cursor = new_report_files(folders, context.cursor)
        context.update_cursor(cursor)
        if not changed:
            yield dg.SkipReason(f"no new report files in {', '.join(folders)}")
            return
        files = [str(p) for p in changed]
        run_key = hashlib.sha256(cursor.encode()).hexdigest()[:16]
        yield dg.RunRequest(
            run_key=run_key,
            run_config={"ops": {"findings": {"config": {"files": files}}}},
            tags={"flywheel/reports": str(len(files))},
        )

    return new_reports_sensor
