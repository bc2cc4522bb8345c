"""The layering docs/architecture.md draws, checked: import-linter's contracts in
pyproject.toml (layers, independence, no cycles), and the rule that a function-local import
only defers a heavy dependency and says why."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "core", "store", "ingest", "detectors", "sandbox", "vector_memory",
    "quality_gates", "training", "yardstick", "registry", "labeling_ui", "orchestration",
)  # fmt: skip


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
    # Every package is in the layers contract: a new one cannot slip in unchecked.
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layers = config.split('type = "layers"', 1)[1].split("]", 1)[0]
    for package in PACKAGES:
        assert f'"{package}' in layers or f" {package}" in layers, package


def test_every_top_level_package_is_declared() -> None:
    """A new top-level package must be added to the contracts (and to PACKAGES)."""
    found = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in ("tests", "bench", "examples", "infra", "docs")
    }
    assert found == set(PACKAGES)


def _function_local_imports(path: Path) -> list[tuple[int, str, str]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                found.append((node.lineno, module or "", above))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_function_local_imports_defer_a_heavy_dependency_and_say_why(package: str) -> None:
    unexplained = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "rules" in path.parts or "migrations" in path.parts or "suite" in path.parts:
            continue  # rule-pack test files, Alembic's scripts, the security suite's tasks
        if path.name in ("unit_test_runner.py", "pytest_runner.py", "child_limits.py"):
            continue  # programs beside untrusted code: they import only after setting limits
        for line, module, above in _function_local_imports(path):
            # The comment may sit above a group of deferred imports.
            if (
                not above.startswith("# deferred:")
                and not above.startswith("from ")
                and not above.startswith("import ")
            ):
                unexplained.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not unexplained, (
        "function-local imports without a '# deferred: why' line:\n" + "\n".join(unexplained)
    )
