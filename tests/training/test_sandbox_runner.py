"""The sandbox's runner is a real module: importing it runs nothing, and its static test
collection (what code under test cannot add to or hide from) is testable without a sandbox."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sandbox import unit_test_runner
from sandbox.unit_tests import run_unit_tests


def test_importing_the_runner_runs_nothing() -> None:
    assert callable(unit_test_runner._main)
    source = Path(unit_test_runner.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    # Standard library only, and of ours only child_limits (the copy beside it in a run's
    # directory): it runs beside untrusted code, before anything else of ours could load.
    ours = {"core", "store", "ingest", "detectors", "sandbox", "training", "orchestration"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if module in ("child_limits", "sandbox.child_limits"):
                continue
            assert (module or "").split(".")[0] not in ours, module


def test_the_runner_runs_as_a_program_and_the_sandbox_uses_this_file(tmp_path: Path) -> None:
    (tmp_path / "solution.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "test_solution.py").write_text(
        "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n\n"
        "def test_wrong():\n    assert add(1, 2) == 4\n"
    )
    result = tmp_path / "result.json"
    # As the sandbox does: the runner beside the code, so `import solution` finds it.
    runner = tmp_path / "runner.py"
    runner.write_text(Path(unit_test_runner.__file__).read_text(encoding="utf-8"))
    limits = Path(unit_test_runner.__file__).with_name("child_limits.py")
    (tmp_path / "child_limits.py").write_text(limits.read_text(encoding="utf-8"))
    run = subprocess.run(
        # result file, then the limits: memory MB, CPU s, processes, file size MB, open files
        [
            sys.executable,
            "-s",
            "-B",
            str(runner),
            str(result),
            "512",
            "10",
            "4096",
            "16",
            "64",
        ],
        cwd=tmp_path,
        input="token-123\n",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # as bare as the sandbox's
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    line = result.read_text()
    assert '"token": "token-123"' in line and '"passed": 1' in line and '"failed": 1' in line
    # The sandbox runs the same program: the same tests give the same counts.
    outcome = run_unit_tests(
        "def add(a, b):\n    return a + b\n",
        "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n\n"
        "def test_wrong():\n    assert add(1, 2) == 4\n",
    )
    assert (outcome.passed, outcome.failed) == (1, 1)
