"""Collect: report folders and scans of code trees -> the `findings` asset; the sensor that
watches the folders and the nightly schedule that scans the configured repositories."""

# No `from __future__ import annotations` here: Dagster reads the asset's parameter types
# (config and resources) at definition time and does not resolve string annotations.
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg

from ingest.errors import IngestError
from ingest.pipeline import IngestOptions, IngestSummary, ReportResult, ingest_parsed, ingest_paths
from orchestration.resources import FindingsStoreResource, ScannerResource

REPORT_SUFFIXES = (".json", ".sarif")


class ReportFiles(dg.Config):
    """What to ingest: explicit report files (what the sensor passes) or every report under
    `folders`, and code trees to `scan` with the ensemble (what the nightly schedule passes).
    With none of them: every report under the configured report folders."""

    files: list[str] = []
    folders: list[str] = []
    scan: list[str] = []
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
        context: dg.AssetExecutionContext,
        config: ReportFiles,
        store: FindingsStoreResource,
        scanners: ScannerResource,
    ) -> dg.MaterializeResult:
        if config.files:
            paths = [Path(f) for f in config.files]
        elif config.folders or not config.scan:
            paths = discover_reports(config.folders or default_folders)
        else:
            paths = []
        if not paths and not config.scan:
            raise dg.Failure(
                "no reports to ingest: configure report folders (FLYWHEEL_REPORT_DIRS) or pass "
                "`files`, `folders` or `scan` in the run config"
            )
        options = IngestOptions(
            repo=Path(config.repo) if config.repo else None,
            repository=config.repository,
            service=config.service,
            commit=config.commit,
            max_report_bytes=store.max_report_bytes,
            workers=store.ingest_workers,
        )
        summary = ingest_paths(paths, store.store, options) if paths else IngestSummary()
        for tree in config.scan:
            summary.reports.append(scan_tree(Path(tree), store, scanners, config))
        for report in summary.reports:
            for warning in report.warnings:
                context.log.warning(f"{report.path}: {warning}")
        totals = summary.totals()
        metadata = {
            "reports": len(summary.reports),
            "scanned_trees": len(config.scan),
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


def scan_tree(
    tree: Path, store: FindingsStoreResource, scanners: ScannerResource, config: ReportFiles
) -> ReportResult:
    """Scan a code tree with the ensemble and ingest it as one report (`scan:<tree>`); a tree
    that is missing or cannot be scanned is a failed report, like a bad report file."""
    source = f"scan:{tree.resolve()}"
    if not tree.is_dir():
        return ReportResult(path=source, status="failed", error=f"{tree}: not a directory")
    options = IngestOptions(
        repo=tree,
        repository=config.repository,
        service=config.service or tree.name,
        commit=config.commit,
        workers=store.ingest_workers,
    )
    try:
        return ingest_parsed(scanners.ensemble().scan(tree), source, store.store, options)
    except IngestError as error:
        return ReportResult(path=source, status="failed", error=f"{tree}: {error}")


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


def build_nightly_scan(
    repos: list[str], cron: str, timezone: str, job_name: str
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_scan",
        cron_schedule=cron,
        execution_timezone=timezone,
        job_name=job_name,
        default_status=dg.DefaultScheduleStatus.RUNNING
        if repos
        else dg.DefaultScheduleStatus.STOPPED,
        description="Scans the configured repositories (FLYWHEEL_SCAN_REPOS) with the ensemble "
        "and ingests the findings; what disappeared since the last scan is marked fixed.",
    )
    def nightly_scan(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        if not repos:
            return dg.SkipReason("no repositories to scan: set FLYWHEEL_SCAN_REPOS")
        return dg.RunRequest(
            run_key=f"nightly-scan-{context.scheduled_execution_time.isoformat()}",
            run_config={"ops": {"findings": {"config": {"scan": repos}}}},
            tags={"flywheel/scan": str(len(repos))},
        )

    return nightly_scan
