"""Run unit tests against model-written code in a throwaway, resource-limited, network-less process.

`run_unit_tests(code, tests)` writes `solution.py` and `test_solution.py` into a fresh temporary
directory, runs a small standard-library test runner there in a new `sys.executable` process and
returns a `TestOutcome`; the directory is removed afterwards. Nothing the code or the tests do
(infinite loops, `sys.exit`, `os._exit`, forks, floods of output, memory blow-ups, tampering with
the test machinery) makes it raise.

Isolation, from the outside in:

* Namespaces. When `unshare` works here (probed once per process), the runner starts in new
  network and PID namespaces: no interface but a downed loopback, no view of (or signal to) the
  processes outside, and when the sandbox's PID 1 exits the kernel kills every process left in
  it, so nothing outlives a run. A user namespace is added when allowed (it lets unprivileged
  users create the others, and for root it makes RLIMIT_NPROC apply, which root otherwise
  ignores). `TestOutcome.isolation` says "netns+python" then, or "python" where no namespace
  could be made.
* Python. Whatever the namespaces, the runner replaces `socket.socket`, `create_connection`,
  `getaddrinfo` and the other resolver/connect entry points (also in `_socket`) by functions
  raising `PermissionError` before any untrusted code is imported. This blocks the stdlib
  (urllib, http.client, asyncio, ssl, requests) but not ctypes or a `curl` subprocess: only the
  namespace stops those.
* Limits, set by the runner on itself before it imports anything untrusted: RLIMIT_AS
  (`memory_mb`), RLIMIT_CPU (timeout + 1 s, hard +1 s), RLIMIT_FSIZE (16 MiB), RLIMIT_NOFILE
  (64), RLIMIT_CORE (0), RLIMIT_NPROC (the user's task count + 64; root ignores it outside a
  user namespace; inside one, on Linux >= 5.14, only the sandbox's own tasks count). They are
  set there rather than in a `preexec_fn` because `preexec_fn` is not safe with threads
  (`run_unit_tests_many` runs sandboxes from a thread pool); the effect is the same: no
  untrusted byte runs before the limits are in place.
* Wall clock: after `timeout_s` the whole process group is killed (SIGKILL). The parent waits
  on a pidfd and the stderr pipe (it polls only where pidfd_open is missing).
* Environment: only PATH, HOME (the temporary directory), LANG, PYTHONHASHSEED and
  PYTHONDONTWRITEBYTECODE; stdin is /dev/null, stdout is discarded, stderr is drained and
  only its last few KB kept.

The runner (`sandbox/unit_test_runner.py`) collects tests statically from the test file's AST, so
code cannot add or hide tests: top-level `test*` functions (sync or async, called with no
arguments), `unittest.TestCase` subclasses (with their fixtures and subtests), pytest-style `Test*`
classes (`test*` methods, `setup_method`/`teardown_method`) and top-level `assert` statements (one
test each, MBPP style). The module body runs statement by statement; when a statement other than an
assert fails (typically `from solution import f` because the solution is broken or calls `sys.exit`
at import) every test counts as an error (`collection_error`). An `AssertionError` is a failure,
any other exception (SystemExit included) an error; skips count in the total but not as passes. The
test file is deleted once read, so the solution cannot read the expected values off the disk.

The runner reports one JSON line in a result file, carrying a per-run random token it read from
stdin before any untrusted code ran. The parent accepts only a single well-formed line with the
token, from a regular file; anything else (no line: crash, `os._exit`, timeout; several lines
or a bad token: tampering) counts as no test passed. The runner also snapshots `builtins`,
`unittest`'s classes, the socket patches and its own globals before the solution is imported,
and the collected tests (names, methods, code objects) before they run, and marks the run
`tampered` when any was rebound by the end.

This raises the bar against a model gaming the reward; it is not a proof against a determined
in-process adversary (the code under test shares the runner's interpreter: it can walk the
frames). It does not sandbox the filesystem either: the code runs with the caller's user id
(root inside the user namespace maps to the caller), so run training as an unprivileged user.
"""

from __future__ import annotations

import functools
import json
import math
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from sandbox import child_limits, unit_test_runner
from sandbox.process import (
    kill_group,
    minimal_env,
    namespaces,
    nproc_limit,
    remove_tree,
    sandbox_isolation,
    watch,
    write_file,
)

__all__ = [
    "SOLUTION_FILE",
    "TESTS_FILE",
    "TestOutcome",
    "run_unit_tests",
    "run_unit_tests_many",
    "sandbox_isolation",
]

SOLUTION_FILE = "solution.py"
TESTS_FILE = "test_solution.py"
_RUNNER_FILE = "_flywheel_runner.py"
_RESULT_FILE = "_flywheel_result.json"

FSIZE_LIMIT_MB = 16
NOFILE_LIMIT = 64
RESULT_MAX_BYTES = 64 * 1024


class TestOutcome(BaseModel):
    """What happened when the tests ran against the code.

    passed/failed/errors/skipped/total: test counts (total is their sum); all 0 when the runner
        reported nothing trustworthy (timeout, crash, tampering).
    timed_out: killed after `timeout_s`.
    memory_exceeded: a MemoryError was raised (in a test, at import, or seen on stderr of a
        process that died): best effort.
    crashed: the process ended without a (valid) result and not because of the timeout.
    tampered: the result channel or the test machinery was interfered with.
    collection_error: the test module could not be executed to the end (often: importing the
        solution failed); every test then counts as an error.
    pass_rate: passed / total in [0, 1]; 0 when no test ran.
    isolation: "netns+python" or "python" (see the module docstring).
    duration_s: wall-clock seconds for the run, from writing the files to reading the result.
    returncode: the process's exit status (negative: killed by that signal).
    stderr_tail: the last few KB of stderr; the runner writes its summary of non-passing tests
        there last.
    sandbox_error: set when the sandbox itself failed (could not create the directory or
        start the process); the counts are then 0 and `crashed` is True.
    """

    model_config = ConfigDict(frozen=True)

    __test__ = False  # not a pytest test class, despite the name

    passed: int
    failed: int
    errors: int
    skipped: int
    total: int
    timed_out: bool
    memory_exceeded: bool
    crashed: bool
    tampered: bool
    collection_error: bool
    pass_rate: float
    isolation: str
    duration_s: float
    returncode: int | None
    stderr_tail: str
    sandbox_error: str | None = None


# --------------------------------------------------------------------------- the runner's source


@functools.cache
def _program_sources() -> dict[str, str]:
    """The runner and the module it imports, copied into every run's directory (read once
    per process)."""
    return {
        _RUNNER_FILE: Path(unit_test_runner.__file__).read_text(encoding="utf-8"),
        "child_limits.py": Path(child_limits.__file__).read_text(encoding="utf-8"),
    }


_COUNT_KEYS = ("passed", "failed", "errors", "skipped")
_FLAG_KEYS = ("memory_exceeded", "collection_error", "tampered")


def _read_result(path: str, token: str) -> tuple[dict[str, object] | None, bool]:
    """(result, tampered): the runner's single line, or None (absent: False, invalid: True)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None, False
    except OSError:  # a symlink, or worse, where the result should be
        return None, True
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, True
        data = os.read(fd, RESULT_MAX_BYTES + 1)
    except OSError:
        return None, True
    finally:
        os.close(fd)
    lines = [line for line in data.split(b"\n") if line.strip()]
    if not lines:
        return None, False
    if len(data) > RESULT_MAX_BYTES or len(lines) != 1:
        return None, True
    try:
        result = json.loads(lines[0])
    except ValueError:
        return None, True
    valid = (
        isinstance(result, dict)
        and result.get("token") == token
        and all(type(result.get(key)) is int and result[key] >= 0 for key in _COUNT_KEYS)
        and all(type(result.get(key)) is bool for key in _FLAG_KEYS)
    )
    return (result, False) if valid else (None, True)


def run_unit_tests(
    code: str,
    tests: str,
    *,
    timeout_s: float = 10,
    memory_mb: int = 512,
    use_netns: bool = True,
) -> TestOutcome:
    """Run `tests` (the source of test_solution.py) against `code` (solution.py) in a sandbox.

    `use_netns=False` skips the namespaces (Python-level blocking only). Never raises for
    anything the code or the tests do; a failure of the sandbox itself is reported in
    `TestOutcome.sandbox_error`.
    """
    started = time.monotonic()
    isolation = sandbox_isolation(use_netns)
    try:
        prefix = namespaces() if use_netns else None
        workdir = tempfile.mkdtemp(prefix="flywheel-sandbox-")
    except Exception as exc:  # noqa: BLE001 - no temp dir, no run
        return _sandbox_failure(isolation, started, f"{type(exc).__name__}: {exc}")
    try:
        return _run_in(workdir, prefix, code, tests, timeout_s, memory_mb, isolation, started)
    except Exception as exc:  # noqa: BLE001 - the sandbox must not take the caller down
        return _sandbox_failure(isolation, started, f"{type(exc).__name__}: {exc}")
    finally:
        remove_tree(workdir)


def _sandbox_failure(isolation: str, started: float, error: str) -> TestOutcome:
    return TestOutcome(
        passed=0,
        failed=0,
        errors=0,
        skipped=0,
        total=0,
        timed_out=False,
        memory_exceeded=False,
        crashed=True,
        tampered=False,
        collection_error=False,
        pass_rate=0.0,
        isolation=isolation,
        duration_s=time.monotonic() - started,
        returncode=None,
        stderr_tail="",
        sandbox_error=error,
    )


def _run_in(
    workdir: str,
    prefix: tuple[str, ...] | None,
    code: str,
    tests: str,
    timeout_s: float,
    memory_mb: int,
    isolation: str,
    started: float,
) -> TestOutcome:
    write_file(os.path.join(workdir, SOLUTION_FILE), code)
    write_file(os.path.join(workdir, TESTS_FILE), tests)
    for name, source in _program_sources().items():
        write_file(os.path.join(workdir, name), source)
    result_path = os.path.join(workdir, _RESULT_FILE)
    token = secrets.token_hex(16)
    timeout_s = max(float(timeout_s), 0.1)
    cpu_s = math.ceil(timeout_s) + 1
    nproc = nproc_limit()
    argv = [
        *(prefix or ()),
        sys.executable, "-s", "-B", _RUNNER_FILE, result_path,
        str(int(memory_mb)), str(cpu_s), str(nproc), str(FSIZE_LIMIT_MB), str(NOFILE_LIMIT),
    ]  # fmt: skip
    deadline = time.monotonic() + timeout_s
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=minimal_env(workdir),
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
    except OSError:  # the process died already
        pass
    try:
        tail, timed_out = watch(proc, deadline)
    except BaseException:  # KeyboardInterrupt in the caller: leave nothing running
        kill_group(proc.pid)
        proc.wait()
        raise
    result, tampered = _read_result(result_path, token)
    stderr_tail = tail.decode("utf-8", "replace")
    if result is not None and result["tampered"]:
        tampered = True
    if result is None or tampered:
        counts = dict.fromkeys(_COUNT_KEYS, 0)
    else:
        counts = {key: int(result[key]) for key in _COUNT_KEYS}  # type: ignore[call-overload]
    memory_exceeded = bool(result and result["memory_exceeded"]) or (
        result is None
        and any(sign in stderr_tail for sign in ("MemoryError", "Cannot allocate memory"))
    )
    total = sum(counts.values())
    return TestOutcome(
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["errors"],
        skipped=counts["skipped"],
        total=total,
        timed_out=timed_out,
        memory_exceeded=memory_exceeded,
        crashed=result is None and not timed_out,
        tampered=tampered,
        collection_error=bool(result and result["collection_error"]),
        pass_rate=counts["passed"] / total if total else 0.0,
        isolation=isolation,
        duration_s=time.monotonic() - started,
        returncode=proc.returncode,
        stderr_tail=stderr_tail,
    )


def run_unit_tests_many(
    items: Iterable[tuple[str, str]],
    *,
    workers: int = 2,
    timeout_s: float = 10,
    memory_mb: int = 512,
    use_netns: bool = True,
) -> list[TestOutcome]:
    """`run_unit_tests` for each (code, tests), `workers` at a time; outcomes in input order."""
    items = list(items)
    if not items:
        return []
    sandbox_isolation(use_netns)  # probe once, before the threads start

    def one(item: tuple[str, str]) -> TestOutcome:
        code, tests = item
        return run_unit_tests(
            code, tests, timeout_s=timeout_s, memory_mb=memory_mb, use_netns=use_netns
        )

    with ThreadPoolExecutor(max_workers=max(1, min(int(workers), len(items)))) as pool:
        return list(pool.map(one, items))
