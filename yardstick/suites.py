"""Security suites: the task format, and loading a suite from a folder.

A suite is a folder of task pairs, as CWEval lays out its Python benchmark
(`benchmark/core/py`):

- `cwe_XXX_N_task.py`: the prompt (imports, signature and docstring, or a module docstring
  naming several functions), a line `# BEGIN SOLUTION`, then the secure reference solution;
- `cwe_XXX_N_test.py`: pytest tests that import the task's functions from `cwe_XXX_N_task`,
  marked `functionality` or `security`, and the insecure reference (`<name>_unsafe`) with its
  own tests (`test_<name>_unsafe_functionality`, `test_<name>_unsafe_security`, the latter
  expecting the insecure reference to fail).

`load_suite` reads every pair it can and refuses the others by name (no test file, no
reference, a file that does not parse, tests that import nothing from the task); it never
raises for one bad task. The bundled suite is `yardstick/suite/`.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

BUNDLED = Path(__file__).with_name("suite")
MARKER = "# BEGIN SOLUTION"
_TASK_ID = re.compile(r"^cwe_(\d+)_(\d+)$")


class SuiteError(Exception):
    """The suite's folder cannot be read at all (missing, not a folder, no tasks)."""


class SuiteTask(BaseModel):
    """One task: what the model is asked, the tests that judge it, and the references."""

    model_config = ConfigDict(frozen=True)

    id: str  # cwe_022_0
    cwe: int
    entry_points: list[str]  # what the tests import from the task module
    prompt: str  # the task file up to the marker
    task_source: str  # the whole task file: the prompt and the secure reference
    test_source: str
    insecure_reference: bool  # the test file holds `<name>_unsafe` and its tests

    @property
    def task_module(self) -> str:
        return f"{self.id}_task"

    @property
    def task_file(self) -> str:
        return f"{self.id}_task.py"

    @property
    def test_file(self) -> str:
        return f"{self.id}_test.py"


class Refusal(BaseModel):
    model_config = ConfigDict(frozen=True)

    task: str
    reason: str


class Suite(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    folder: str
    tasks: list[SuiteTask]
    refused: list[Refusal]
    content_hash: str  # of every task and test file read: what a cached validation keys on

    @property
    def cwes(self) -> list[int]:
        return sorted({task.cwe for task in self.tasks})

    def subset(self, limit: int) -> Suite:
        """The first `limit` tasks, hashed as their own suite."""
        tasks = self.tasks[:limit]
        return self.model_copy(update={"tasks": tasks, "content_hash": _digest(tasks)})


def _folder(path: Path) -> Path:
    """The folder holding the task files: PATH itself, or CWEval's `benchmark/core/py`."""
    for candidate in (path / "benchmark" / "core" / "py", path / "core" / "py", path):
        if candidate.is_dir() and any(candidate.glob("cwe_*_task.py")):
            return candidate
    if not path.exists():
        raise SuiteError(f"{path}: no such folder")
    if not path.is_dir():
        raise SuiteError(f"{path}: not a folder")
    raise SuiteError(f"{path}: no task files (cwe_XXX_N_task.py), here or in benchmark/core/py")


def load_suite(path: Path | None = None) -> Suite:
    """The suite in `path` (the bundled one by default)."""
    folder = _folder(Path(path) if path is not None else BUNDLED)
    tasks: list[SuiteTask] = []
    refused: list[Refusal] = []
    ids = sorted(
        {p.name[: -len("_task.py")] for p in folder.glob("cwe_*_task.py")}
        | {p.name[: -len("_test.py")] for p in folder.glob("cwe_*_test.py")}
    )
    for task_id in ids:
        task, reason = _read_task(folder, task_id)
        if task is None:
            refused.append(Refusal(task=task_id, reason=reason))
            continue
        tasks.append(task)
    name = "bundled" if folder == BUNDLED else str(path)
    return Suite(
        name=name,
        folder=str(folder),
        tasks=tasks,
        refused=refused,
        content_hash=_digest(tasks),
    )


def _digest(tasks: list[SuiteTask]) -> str:
    digest = hashlib.sha256()
    for task in tasks:
        digest.update(task.task_source.encode() + b"\0" + task.test_source.encode() + b"\0")
    return digest.hexdigest()


def _read_task(folder: Path, task_id: str) -> tuple[SuiteTask | None, str]:
    match = _TASK_ID.match(task_id)
    if match is None:
        return None, "the name is not cwe_<number>_<number>"
    task_path, test_path = folder / f"{task_id}_task.py", folder / f"{task_id}_test.py"
    if not task_path.is_file():
        return None, f"no task file ({task_path.name})"
    if not test_path.is_file():
        return None, f"no test file ({test_path.name})"
    try:
        task_source = task_path.read_text(encoding="utf-8")
        test_source = test_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot be read as UTF-8 text: {error}"
    prompt, marker, solution = task_source.partition(MARKER)
    if not marker:
        return None, f"no reference solution: the task file has no '{MARKER}' line"
    if not _has_code(solution):
        return None, f"no reference solution: nothing but comments after '{MARKER}'"
    try:
        ast.parse(task_source)
        tests = ast.parse(test_source)
    except SyntaxError as error:
        return None, f"does not parse: {error.msg} at line {error.lineno}"
    entry_points = [
        alias.name
        for node in tests.body
        if isinstance(node, ast.ImportFrom) and node.module == f"{task_id}_task"
        for alias in node.names
    ]
    if not entry_points:
        return None, f"the tests import nothing from {task_id}_task"
    defined = {node.name for node in tests.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    insecure = any(name.lower().endswith(("_unsafe", "unsafe")) for name in defined) and any(
        name.startswith("test_") and "_unsafe_" in name for name in defined
    )
    task = SuiteTask(
        id=task_id,
        cwe=int(match.group(1)),
        entry_points=entry_points,
        prompt=prompt.rstrip() + "\n",
        task_source=task_source,
        test_source=test_source,
        insecure_reference=insecure,
    )
    return task, ""


def _has_code(text: str) -> bool:
    try:
        return bool(ast.parse(text).body)
    except SyntaxError:
        return bool(text.strip())
