"""What the workbench asks of the stages it does not import.

The UI and the quality gate are siblings that do not know each other (an import-linter
contract says so): the gate dashboard's "run now" and its outlook toward the next retraining
go through this port. `orchestration.workbench_operations` implements it with the gate, and
the workbench's entry script (`orchestration/workbench_app.py`, what `flywheel ui` runs)
installs it; pages reach it through `labeling_ui.workbench.operations()`.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine

from store.gate_history import GateReport


class RetrainingOutlook(BaseModel):
    """How far the corpus is from the next retraining trigger."""

    model_config = ConfigDict(frozen=True)

    progress: float  # 0 .. 1 (1: the trigger's growth condition is reached)
    text: str


class WorkbenchOperations(Protocol):
    def gate_config_error(self) -> str | None:
        """Why the configured gate thresholds cannot be used, or None when they can."""
        ...

    def run_gate_now(self, engine: Engine, actor: str) -> GateReport:
        """Snapshot the corpus and run the gate on it, as the retraining job would."""
        ...

    def retraining_outlook(self, engine: Engine) -> RetrainingOutlook: ...
