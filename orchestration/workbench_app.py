"""The workbench's entry script: `flywheel ui` runs `streamlit run` on this file.

It is the composition root of the UI: it installs the operations the pages need from stages
the UI package does not import (the quality gate), then hands over to `labeling_ui.app`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only this file's folder on the path
    sys.path.insert(0, str(ROOT))

from labeling_ui import app, workbench  # noqa: E402
from orchestration.workbench_operations import StageOperations  # noqa: E402

workbench.install_operations(StageOperations)
app.main()
