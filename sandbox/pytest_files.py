"""Run a pytest file against code nobody trusts, in a sandbox, and read back every test's
outcome with its markers.

`run_pytest` writes the files into a fresh temporary directory, copies `pytest_runner.py` and
`child_limits.py` beside them and runs the runner with a new interpreter, confined:

- bubblewrap where it works here: a read-only view of the system, empty /tmp and homes, the
  project and its data hidden (`hide`), no network, its own PID namespace, no capabilities;
  writes outside the run's directory fail, reads of the store or the user's files find
  nothing. Elsewhere the `unshare` namespaces of `sandbox.process` (network and PID only).
- limits set by the runner on itself before pytest loads: address space (`memory_mb`), CPU
  time (timeout + 1 s), file size, open files, processes (`sandbox.child_limits`).
- the wall clock: after `timeout_s` the whole process group is killed (SIGKILL); a run that
  hangs, forks without end or floods its output is ended and reported, never raised.

The result is one JSON line carrying a per-run random token read from stdin before any code
under test ran; a missing or malformed line means the run crashed or was killed.
"""

from __future__ import annotations

import functools
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sandbox import child_limits, pytest_runner
from sandbox.process import (
    bwrap_prefix,
    kill_group,
    minimal_env,
    namespaces,
    nproc_limit,
    remove_tree,
    watch,
    write_file,
)

_RUNNER_FILE = "_flywheel_pytest_runner.py"
_RESULT_FILE = "_flywheel_pytest_result.json"
FSIZE_LIMIT_MB = 16
NOFILE_LIMIT = 256  # pytest itself opens a few dozen files
RESULT_MAX_BYTES = 4 * 1024 * 1024

Outcome = Literal["passed", "failed", "error", "skipped"]


class TestResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # pytest's node id, e.g. "test_x.py::test_read[../bob.txt-]"
    markers: list[str]  # functionality, security
    outcome: Outcome


class PytestRun(BaseModel):
    """What one sandboxed pytest run did. `tests` is empty when the run crashed, was killed,
    or could not collect the tests (the code under test did not import)."""

    model_config = ConfigDict(frozen=True)

    tests: list[TestResult]
    exit_code: int | None  # pytest's; None without a valid result line
    collection_errors: list[str]
    timed_out: bool
    crashed: bool  # no valid result line, not timed out (killed by a limit, os._exit ...)
    isolation: str  # bwrap, netns+python, or python
    duration_s: float
    stderr_tail: str

    def passed(self, marker: str, exclude: str | None = None) -> bool | None:
        """Whether every test with `marker` passed (None: the run has no such test)."""
        chosen = [
            t
            for t in self.tests
            if marker in t.markers and not (exclude and exclude in t.name.split("::")[-1])
        ]
        if not chosen:
            return None
        return all(t.outcome == "passed" for t in chosen)


@functools.cache
def _program_sources() -> dict[str, str]:
    return {
        _RUNNER_FILE: Path(pytest_runner.__file__).read_text(encoding="utf-8"),
        "child_limits.py": Path(child_limits.__file__).read_text(encoding="utf-8"),
    }


def run_pytest(
    files: dict[str, str],
    test_file: str,
    *,
    select: str | None = None,
    timeout_s: float = 60,
    test_timeout_s: float = 10,
    memory_mb: int = 768,
    hide: tuple[str, ...] = (),
) -> PytestRun:
    """Run `test_file` (one of `files`, name -> source) with pytest in a sandbox; `select`
    is a `-k` expression; a test running over `test_timeout_s` fails alone, the whole run is
    killed after `timeout_s`. Never raises for anything the code does."""
    workdir = tempfile.mkdtemp(prefix="flywheel-pytest-")
    try:
        for name, source in {**files, **_program_sources()}.items():
            write_file(os.path.join(workdir, name), source)
        prefix = bwrap_prefix(workdir, hide)
        isolation = "bwrap"
        if prefix is None:
            prefix = namespaces()
            isolation = "netns+python" if prefix else "python"
        return _run(
            workdir,
            prefix or (),
            isolation,
            test_file,
            select,
            timeout_s,
            test_timeout_s,
            memory_mb,
        )
    finally:
        remove_tree(workdir)


def _run(
    workdir: str,
    prefix: tuple[str, ...],
    isolation: str,
    test_file: str,
    select: str | None,
    timeout_s: float,
    test_timeout_s: float,
    memory_mb: int,
) -> PytestRun:
    started = time.monotonic()
    result_path = os.path.join(workdir, _RESULT_FILE)
    token = secrets.token_hex(16)
    cpu_s = math.ceil(timeout_s) + 1
    argv = [
        *prefix, sys.executable, "-s", "-B", _RUNNER_FILE, result_path,
        str(int(memory_mb)), str(cpu_s), str(nproc_limit()), str(FSIZE_LIMIT_MB),
        str(NOFILE_LIMIT), str(test_timeout_s), test_file, *(["-k", select] if select else []),
    ]  # fmt: skip
    env = {**minimal_env(workdir), "TMPDIR": workdir}
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(token.encode("ascii") + b"\n")
        proc.stdin.close()
    except OSError:  # it died already
        pass
    try:
        tail, timed_out = watch(proc, time.monotonic() + max(timeout_s, 0.1))
    except BaseException:  # KeyboardInterrupt in the caller: leave nothing running
        kill_group(proc.pid)
        proc.wait()
        raise
    result = _read(result_path, token)
    return PytestRun(
        tests=result.tests if result else [],
        exit_code=result.exit_code if result else None,
        collection_errors=result.collection_errors if result else [],
        timed_out=timed_out,
        crashed=result is None and not timed_out,
        isolation=isolation,
        duration_s=round(time.monotonic() - started, 3),
        stderr_tail=tail.decode("utf-8", "replace"),
    )


class _ResultLine(BaseModel):
    token: str
    exit_code: int
    collection_errors: list[str]
    tests: list[TestResult]


def _read(path: str, token: str) -> _ResultLine | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        data = os.read(fd, RESULT_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    lines = [line for line in data.split(b"\n") if line.strip()]
    if len(lines) != 1 or len(data) > RESULT_MAX_BYTES:
        return None
    try:
        result = _ResultLine.model_validate(json.loads(lines[0]))
    except (ValueError, ValidationError):
        return None
    return result if result.token == token else None
