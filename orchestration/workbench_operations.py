"""The workbench's operations (`labeling_ui.operations.WorkbenchOperations`), done by the
same stage functions the retraining job and the CLI call, with the same settings: the gate
the page runs uses the thresholds the job uses."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from core.settings import Settings
from labeling_ui.operations import RetrainingOutlook
from quality_gates.gate import run_gate
from quality_gates.thresholds import GateConfigError, LoadedThresholds, load_thresholds
from quality_gates.trigger import measure_growth
from store.gate_history import GateReport
from store.snapshots import create_snapshot


class StageOperations:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _thresholds(self) -> LoadedThresholds:
        return load_thresholds(self.settings.gate_thresholds)

    def gate_config_error(self) -> str | None:
        try:
            self._thresholds()
        except GateConfigError as error:
            return str(error)
        return None

    def run_gate_now(self, engine: Engine, actor: str) -> GateReport:
        thresholds = self._thresholds()
        policy = thresholds.values.snapshot_policy(self.settings.labels_required)
        snapshot, _ = create_snapshot(engine, policy, created_by=actor)
        return run_gate(engine, snapshot.id, thresholds, self.settings.gate_reports_dir)

    def retraining_outlook(self, engine: Engine) -> RetrainingOutlook:
        values = self._thresholds().values
        growth = measure_growth(engine, self.settings.labels_required)
        return RetrainingOutlook(progress=growth.progress(values), text=growth.describe(values))
