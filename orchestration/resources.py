"""Dagster resources: the external systems stages talk to, configured from `Settings`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from detectors.dependencies import AdvisoryDB
from detectors.ensemble import Ensemble
from store import FindingsStore


class FindingsStoreResource(dg.ConfigurableResource):
    """The findings store (SQLite file by default, PostgreSQL by URL), opened once per run."""

    database_url: str
    max_report_mb: int = 1024
    ingest_workers: int = 1  # processes preparing a large report; 0: one per core

    _store: FindingsStore | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._store = FindingsStore(self.database_url)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> FindingsStore:
        if self._store is None:  # used outside a run (a sensor, a test)
            self._store = FindingsStore(self.database_url)
        return self._store

    @property
    def max_report_bytes(self) -> int:
        return self.max_report_mb * 1024 * 1024


class ScannerResource(dg.ConfigurableResource):
    """The scanner ensemble (our Semgrep rules, Bandit, the offline dependency check)."""

    advisory_db: str | None = None  # folder of OSV advisories; none: dependencies unchecked

    def ensemble(self):

        advisories = AdvisoryDB.load(Path(self.advisory_db)) if self.advisory_db else None
        return Ensemble(advisories=advisories)
