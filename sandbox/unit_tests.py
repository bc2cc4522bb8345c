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

The runner (`_RUNNER_SOURCE`) collects tests statically from the test file's AST, so code cannot
add or hide tests: top-level `test*` functions (sync or async, called with no arguments),
`unittest.TestCase` subclasses (with their fixtures and subtests), pytest-style `Test*` classes
(`test*` methods, `setup_method`/`teardown_method`) and top-level `assert` statements (one test
each, MBPP style). The module body runs statement by statement; when a statement other than an
assert fails (typically `from solution import f` because the solution is broken or calls
`sys.exit` at import) every test counts as an error (`collection_error`). An `AssertionError`
is a failure, any other exception (SystemExit included) an error; skips count in the total but
not as passes. The test file is deleted once read, so the solution cannot read the expected
values off the disk.

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

import json
import math
import os
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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
NPROC_MARGIN = 64
STDERR_TAIL_BYTES = 4096
RESULT_MAX_BYTES = 64 * 1024
_POLL_S = 0.01  # only where pidfd_open is missing
_PROBE_TIMEOUT_S = 10.0

# Tried in order; the first that yields a process seeing only "lo" (and PID 1 where a PID
# namespace is asked for) is used for every run of this process.
_NAMESPACE_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"),
    ("--net", "--pid", "--fork", "--kill-child"),
    ("--user", "--map-root-user", "--net"),
    ("--net",),
)


@dataclass(frozen=True, slots=True)
class TestOutcome:
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


# --------------------------------------------------------------------------- runner (child side)

_RUNNER_SOURCE = r'''
"""Test runner inside the Findings Flywheel sandbox (written by sandbox/unit_tests.py)."""
import sys
import os


def _limits(memory_mb, cpu_s, nproc, fsize_mb, nofile):
    import resource

    def cap(which, soft, hard):
        try:
            _, current_hard = resource.getrlimit(which)
            if current_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, current_hard), min(hard, current_hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass

    mib = 1024 * 1024
    cap(resource.RLIMIT_AS, memory_mb * mib, memory_mb * mib)
    cap(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)
    cap(resource.RLIMIT_FSIZE, fsize_mb * mib, fsize_mb * mib)
    cap(resource.RLIMIT_NOFILE, nofile, nofile)
    cap(resource.RLIMIT_CORE, 0, 0)
    if nproc > 0:
        cap(resource.RLIMIT_NPROC, nproc, nproc)


def _be_init(exit_):
    """As PID 1 of a new PID namespace: fork the worker, reap orphans, exit with its status.

    When PID 1 exits the kernel kills everything left in the namespace.
    """
    worker = os.fork()
    if worker == 0:
        return
    status = 1
    while True:
        try:
            pid, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == worker:
            status = os.waitstatus_to_exitcode(wait_status)
            break
    exit_(status if status >= 0 else 128 - status)


def _block_network():
    import errno
    import socket
    import _socket

    class NetworkDisabledError(PermissionError):
        pass

    def refuse(*args, **kwargs):
        raise NetworkDisabledError(errno.EACCES, "network access is disabled in the sandbox")

    class socket_(socket.socket):
        # Wrapping an existing descriptor (socketpair, fromfd) stays possible: asyncio needs it.
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None:
                refuse()
            super().__init__(family, type, proto, fileno)

    original_init = _socket.socket.__init__

    class raw_socket(_socket.socket):
        # socket.socket.__init__ calls `_socket.socket.__init__(self, ...)` with instances of
        # the original class: no zero-argument super() here.
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None:
                refuse()
            original_init(self, family, type, proto, fileno)

    for cls, name in ((socket_, "socket"), (raw_socket, "socket")):
        cls.__name__ = cls.__qualname__ = name
    socket.socket = socket_
    _socket.socket = raw_socket
    for module in (socket, _socket):
        for name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname",
                     "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
            if hasattr(module, name):
                setattr(module, name, refuse)
    return [("socket", vars(socket), ("socket", "create_connection", "getaddrinfo")),
            ("_socket", vars(_socket), ("socket", "getaddrinfo"))]


def _main():
    write, exit_, getpid = os.write, os._exit, os.getpid
    token = sys.stdin.readline().strip()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    result_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    _limits(*(int(arg) for arg in sys.argv[2:7]))
    if getpid() == 1:
        _be_init(exit_)
    me = getpid()
    watched = _block_network()

    import ast
    import builtins
    import types
    import unittest
    import unittest.case
    import unittest.loader
    import unittest.suite
    import __future__

    MISSING = object()
    coroutine_type = types.CoroutineType
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    flags = {"memory": False, "collection": False}
    notes = []

    def record(name, status, detail=""):
        counts[status] += 1
        if status != "passed" and len(notes) < 20:
            notes.append(f"{status.upper()} {name}: {detail}"[:300])

    def describe(exc):
        try:
            return f"{type(exc).__name__}: {exc}"[:200]
        except BaseException:
            return type(exc).__name__

    def call(fn):
        """(status, detail) of one plain test callable."""
        try:
            result = fn()
            if isinstance(result, coroutine_type):
                import asyncio

                asyncio.run(result)
        except AssertionError as exc:
            return "failed", describe(exc)
        except MemoryError as exc:
            flags["memory"] = True
            return "errors", describe(exc)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: not a pass either
            return "errors", describe(exc)
        return "passed", ""

    rank = {"passed": 0, "skipped": 1, "failed": 2, "errors": 3}

    class Result(unittest.TestResult):
        def __init__(self):
            super().__init__()
            self.status = {}
            self.fixture_errors = []

        def _set(self, test, status, err=None):
            detail = ""
            if err is not None:
                if issubclass(err[0], MemoryError):
                    flags["memory"] = True
                detail = describe(err[1])
            if isinstance(test, unittest.TestCase):
                key = test.id()
                if rank[status] >= rank[self.status.get(key, ("passed", ""))[0]]:
                    self.status[key] = (status, detail)
            else:  # _ErrorHolder: setUpClass, setUpModule, tearDownClass ... failed
                self.fixture_errors.append((str(test), detail))

        def addSuccess(self, test):
            self._set(test, "passed")

        def addFailure(self, test, err):
            self._set(test, "failed", err)

        def addError(self, test, err):
            self._set(test, "errors", err)

        def addSkip(self, test, reason):
            self._set(test, "skipped")

        def addExpectedFailure(self, test, err):
            self._set(test, "passed")

        def addUnexpectedSuccess(self, test):
            self._set(test, "failed", (AssertionError, AssertionError("unexpected success")))

        def addSubTest(self, test, subtest, err):
            if err is not None:
                failed = issubclass(err[0], test.failureException)
                self._set(test, "failed" if failed else "errors", err)

    # What the solution (or a test) must not rebind: checked when all tests have run.
    main_module = sys.modules[__name__]
    snapshot = [(label, ns, dict(ns)) for label, ns in (
        ("builtins", vars(builtins)),
        ("unittest.case", vars(unittest.case)),
        ("TestCase", vars(unittest.TestCase)),
        ("_Outcome", vars(unittest.case._Outcome)),
        ("TestResult", vars(unittest.TestResult)),
        ("BaseTestSuite", vars(unittest.suite.BaseTestSuite)),
        ("TestSuite", vars(unittest.TestSuite)),
        ("TestLoader", vars(unittest.loader.TestLoader)),
        ("Result", vars(Result)),
        ("runner", vars(main_module)),
    )]
    for label, ns, names in watched:
        snapshot.append((label, ns, {name: ns[name] for name in names if name in ns}))

    codes = []  # (label, function, its code): a test's body must not be swapped

    def finish():
        tampered = ""
        for label, ns, before in snapshot:
            for key, value in before.items():
                if ns.get(key, MISSING) is not value:
                    tampered = f"{label}.{key}"
                    break
            if tampered:
                break
        for label, function, code in codes:
            if not tampered and function.__code__ is not code:
                tampered = f"{label}.__code__"
        if getpid() != me:  # a fork of the worker that returned into the runner: say nothing
            exit_(0)
        summary = "".join(f"[sandbox] {note}\n" for note in notes)
        if tampered:
            summary += f"[sandbox] TAMPERED: {tampered} was rebound\n"
        try:
            write(2, summary.encode("utf-8", "replace"))
        except BaseException:
            pass
        line = (
            '{"token": "%s", "passed": %d, "failed": %d, "errors": %d, "skipped": %d, '
            '"memory_exceeded": %s, "collection_error": %s, "tampered": %s}\n'
        ) % (
            token, counts["passed"], counts["failed"], counts["errors"], counts["skipped"],
            "true" if flags["memory"] else "false",
            "true" if flags["collection"] else "false",
            "true" if tampered else "false",
        )
        try:
            write(result_fd, line.encode("ascii"))
        except BaseException:
            exit_(3)
        exit_(0)

    # ---- the plan, from the test file's source alone
    path = os.path.abspath("test_solution.py")
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        os.remove(path)  # the solution must not read the expected values off the disk
        tree = ast.parse(source, path)
    except BaseException as exc:
        flags["collection"] = True
        record("test_solution.py", "errors", describe(exc))
        finish()

    compile_flags = 0
    functions, classes, asserts = [], [], 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                compile_flags |= getattr(feature, "compiler_flag", 0)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test") and node.name not in functions:
                functions.append(node.name)
        elif isinstance(node, ast.ClassDef):
            methods = [
                item.name for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            ]
            bases = [ast.unparse(base) for base in node.bases]
            looks_like_tests = node.name.startswith("Test") or any("TestCase" in b for b in bases)
            classes = [c for c in classes if c[0] != node.name]
            classes.append((node.name, len(methods) if looks_like_tests else 0))
        elif isinstance(node, ast.Assert):
            asserts += 1

    def everything_errors(reason, asserts_left):
        flags["collection"] = True
        for index in range(asserts_left):
            record(f"assert #{index + 1}", "errors", reason)
        for name in functions:
            record(name, "errors", reason)
        for name, n_tests in classes:
            for index in range(n_tests):
                record(f"{name} #{index + 1}", "errors", reason)
        finish()

    # ---- run the module body statement by statement; top-level asserts are tests
    sys.argv = [path]
    module = types.ModuleType("test_solution")
    module.__file__ = path
    sys.modules["test_solution"] = module
    namespace = module.__dict__
    asserts_left = asserts
    for node in tree.body:
        try:
            code = compile(ast.Module([node], []), path, "exec", flags=compile_flags,
                           dont_inherit=True)
        except BaseException as exc:
            everything_errors(f"line {node.lineno}: {describe(exc)}", asserts_left)
        if isinstance(node, ast.Assert):
            asserts_left -= 1
            record(f"assert line {node.lineno}", *call(lambda: exec(code, namespace)))
            continue
        try:
            exec(code, namespace)
        except BaseException as exc:
            if isinstance(exc, MemoryError):
                flags["memory"] = True
            everything_errors(f"line {node.lineno}: {describe(exc)}", asserts_left)

    # ---- freeze the plan: the tests as defined now must be the tests that run
    planned = {name: namespace.get(name) for name in functions}
    planned.update({name: namespace.get(name) for name, _ in classes})
    snapshot.append(("test module", namespace, dict(planned)))
    for name, obj in planned.items():
        if isinstance(obj, types.FunctionType):
            codes.append((name, obj, obj.__code__))
        elif isinstance(obj, type):  # its methods (fixtures may rebind data attributes)
            methods = {
                key: value for key, value in vars(obj).items()
                if isinstance(value, types.FunctionType | classmethod | staticmethod)
            }
            snapshot.append((name, vars(obj), methods))
            for attribute, value in methods.items():
                if isinstance(value, types.FunctionType):
                    codes.append((f"{name}.{attribute}", value, value.__code__))

    # ---- test functions
    for name in functions:
        fn = planned[name]
        if not callable(fn):
            record(name, "errors", "not callable at the end of the module")
            continue
        record(name, *call(fn))

    # ---- classes: unittest.TestCase subclasses and pytest-style Test* classes
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    expected = []
    for name, n_static in classes:
        cls = planned[name]
        if not isinstance(cls, type):
            continue
        if issubclass(cls, unittest.TestCase):
            try:
                cases = [cls(method) for method in loader.getTestCaseNames(cls)]
            except BaseException as exc:
                for index in range(max(n_static, 1)):
                    record(f"{name} #{index + 1}", "errors", describe(exc))
                continue
            if cases:
                suite.addTest(unittest.TestSuite(cases))
                expected.append((name, [case.id() for case in cases]))
        elif name.startswith("Test") and "__init__" not in vars(cls):
            for method in sorted(m for m in dir(cls) if m.startswith("test")):
                if not callable(getattr(cls, method, None)):
                    continue

                def run_method(cls=cls, method=method):
                    instance = cls()
                    bound = getattr(instance, method)
                    setup = getattr(instance, "setup_method", None)
                    if callable(setup):
                        setup(bound)
                    try:
                        result = bound()
                        if isinstance(result, coroutine_type):
                            import asyncio

                            asyncio.run(result)
                    finally:
                        teardown = getattr(instance, "teardown_method", None)
                        if callable(teardown):
                            teardown(bound)

                record(f"{name}.{method}", *call(run_method))

    if expected:
        result = Result()
        try:
            suite.run(result)
        except BaseException as exc:
            result.fixture_errors.append(("suite", describe(exc)))
        fixture_detail = "; ".join(f"{where}: {detail}" for where, detail in result.fixture_errors)
        for class_name, ids in expected:
            for test_id in ids:
                not_run = ("errors", "not run: " + fixture_detail)
                status, detail = result.status.get(test_id, not_run)
                record(test_id, status, detail)
        if result.fixture_errors and all(test_id in result.status
                                         for _, ids in expected for test_id in ids):
            for where, detail in result.fixture_errors:  # e.g. tearDownClass failed
                record(where, "errors", detail)
    finish()


if __name__ == "__main__":
    _main()
'''


# --------------------------------------------------------------------------- isolation probe

_probe_lock = threading.Lock()
_probe_done = False
_namespace_prefix: tuple[str, ...] | None = None
_PROBE_SOURCE = (
    "import os, socket\n"
    "names = [name for _, name in socket.if_nameindex()]\n"
    "print('isolated' if names == ['lo'] else 'shared', os.getpid())\n"
)


def _minimal_env(home: str) -> dict[str, str]:
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _probe(prefix: tuple[str, ...]) -> bool:
    try:
        completed = subprocess.run(
            [*prefix, sys.executable, "-s", "-B", "-c", _PROBE_SOURCE],
            env=_minimal_env(tempfile.gettempdir()),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    words = completed.stdout.decode("ascii", "replace").split()
    if completed.returncode != 0 or len(words) != 2 or words[0] != "isolated":
        return False
    return "--pid" not in prefix or words[1] == "1"


def _namespaces() -> tuple[str, ...] | None:
    """The `unshare ...` prefix that isolates the network here, or None (probed once)."""
    global _probe_done, _namespace_prefix
    with _probe_lock:
        if not _probe_done:
            unshare = shutil.which("unshare")
            if unshare and sys.platform.startswith("linux"):
                for options in _NAMESPACE_OPTIONS:
                    prefix = (unshare, *options, "--")
                    if _probe(prefix):
                        _namespace_prefix = prefix
                        break
            _probe_done = True
        return _namespace_prefix


def sandbox_isolation(use_netns: bool = True) -> str:
    """The isolation runs get here: "netns+python" or "python"."""
    return "netns+python" if use_netns and _namespaces() else "python"


# --------------------------------------------------------------------------- parent side


_tasks_lock = threading.Lock()
_tasks_cache: tuple[float, int] = (-1e9, 0)
_TASKS_TTL_S = 5.0


def _nproc_limit() -> int:
    """RLIMIT_NPROC for a run: our user's tasks now (recounted every few seconds) + a margin."""
    global _tasks_cache
    with _tasks_lock:
        counted_at, count = _tasks_cache
        if time.monotonic() - counted_at > _TASKS_TTL_S:
            count = _user_tasks()
            _tasks_cache = (time.monotonic(), count)
    return count + NPROC_MARGIN


def _user_tasks() -> int:
    """Tasks (threads included) whose real uid is ours: what RLIMIT_NPROC counts."""
    uid, total = os.getuid(), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        try:
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields.get("Threads", "1").strip() or 1)
        except (KeyError, ValueError, IndexError):
            continue
    return total


def _exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (its id stays ours until we wait)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(fd: int, tail: bytearray) -> bool:
    """Read what is available into the bounded tail; True at end of file."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        tail += chunk
        if len(tail) > STDERR_TAIL_BYTES:
            del tail[: len(tail) - STDERR_TAIL_BYTES]


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when the process exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _watch(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bool]:
    """Drain stderr until the process exits or the deadline passes; kill the group; reap."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    os.set_blocking(fd, False)
    pidfd = _pidfd(proc.pid)
    tail, eof, exited, timed_out = bytearray(), False, False, False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                selector.register(pidfd, selectors.EVENT_READ)
            while not exited:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                wait = remaining if pidfd is not None else min(remaining, _POLL_S)
                for key, _ in selector.select(wait):
                    if key.fd == pidfd:
                        exited = True
                    elif _drain(fd, tail):
                        eof = True
                        selector.unregister(fd)
                if pidfd is None:
                    exited = _exited(proc.pid)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    _kill_group(proc.pid)  # stragglers too; the leader is not reaped yet, so the id is ours
    proc.wait()
    if not eof:
        _drain(fd, tail)  # what is buffered; never wait on a straggler that escaped the kill
    proc.stderr.close()
    return bytes(tail), timed_out


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


def _remove_tree(path: str) -> None:
    def make_writable_and_retry(function, target, _exc):  # noqa: ANN001 - rmtree's hook
        try:
            os.chmod(os.path.dirname(target), 0o700)
            if os.path.isdir(target) and not os.path.islink(target):
                os.chmod(target, 0o700)
            function(target)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)


def _write(path: str, text: object) -> None:
    with open(path, "w", encoding="utf-8", errors="replace") as handle:
        handle.write(text if isinstance(text, str) else "")


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
        prefix = _namespaces() if use_netns else None
        workdir = tempfile.mkdtemp(prefix="flywheel-sandbox-")
    except Exception as exc:  # noqa: BLE001 - no temp dir, no run
        return _sandbox_failure(isolation, started, f"{type(exc).__name__}: {exc}")
    try:
        return _run_in(workdir, prefix, code, tests, timeout_s, memory_mb, isolation, started)
    except Exception as exc:  # noqa: BLE001 - the sandbox must not take the caller down
        return _sandbox_failure(isolation, started, f"{type(exc).__name__}: {exc}")
    finally:
        _remove_tree(workdir)


def _sandbox_failure(isolation: str, started: float, error: str) -> TestOutcome:
    return TestOutcome(
        0, 0, 0, 0, 0, False, False, True, False, False, 0.0, isolation,
        time.monotonic() - started, None, "", error,
    )  # fmt: skip


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
    _write(os.path.join(workdir, SOLUTION_FILE), code)
    _write(os.path.join(workdir, TESTS_FILE), tests)
    _write(os.path.join(workdir, _RUNNER_FILE), _RUNNER_SOURCE)
    result_path = os.path.join(workdir, _RESULT_FILE)
    token = secrets.token_hex(16)
    timeout_s = max(float(timeout_s), 0.1)
    cpu_s = math.ceil(timeout_s) + 1
    nproc = _nproc_limit()
    argv = [
        *(prefix or ()),
        sys.executable, "-s", "-B", _RUNNER_FILE, result_path,
        str(int(memory_mb)), str(cpu_s), str(nproc), str(FSIZE_LIMIT_MB), str(NOFILE_LIMIT),
    ]  # fmt: skip
    deadline = time.monotonic() + timeout_s
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=_minimal_env(workdir),
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
        tail, timed_out = _watch(proc, deadline)
    except BaseException:  # KeyboardInterrupt in the caller: leave nothing running
        _kill_group(proc.pid)
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
