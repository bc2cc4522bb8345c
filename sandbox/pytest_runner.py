"""A pytest run inside the sandbox: `sandbox.pytest_files` copies this file (and
`child_limits.py`) into a fresh directory beside the code and its tests, and runs it there
with a new interpreter:

    python -s -B pytest_runner.py RESULT MEMORY_MB CPU_S NPROC FSIZE_MB NOFILE TEST_S TEST_FILE
        [-k EXPRESSION]

Before pytest (and so the code under test) is imported it sets its own resource limits and
blocks the network. A test running longer than TEST_S seconds fails on its own (an alarm
raises in it), so one hanging test does not cost the others. It writes one JSON line to
RESULT: the token it read from stdin, pytest's exit code, and every test with its markers
and outcome (passed, failed, error, skipped).

Unlike `unit_test_runner.py` this does not guard against code that tampers with the test
machinery: it runs the executable security suite, whose verdicts never train a model, so
nothing learns to game it; what it must survive is code that hangs, forks, floods or writes.
"""

import json
import os
import sys

try:  # in a run's directory: the copy beside this file
    from child_limits import be_init, block_network, set_limits
except ImportError:  # imported as sandbox.pytest_runner, as the tests do
    from sandbox.child_limits import be_init, block_network, set_limits

MARKERS = ("functionality", "security")


class Recorder:
    """Collects each test's outcome over its phases (setup, call, teardown) and its markers."""

    def __init__(self):
        self.tests = {}
        self.markers = {}
        self.collection_errors = []

    def pytest_configure(self, config):
        for name in MARKERS:
            config.addinivalue_line("markers", f"{name}: a test of the task's {name}")

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(str(report.longrepr)[-2000:])

    def pytest_itemcollected(self, item):
        self.markers[item.nodeid] = sorted({m.name for m in item.iter_markers()} & set(MARKERS))

    def pytest_runtest_logreport(self, report):
        current = self.tests.get(report.nodeid, "passed")
        if report.skipped:
            outcome = "skipped"
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
        else:
            outcome = "passed"
        # The worst phase decides: an error in setup or teardown beats a passing call.
        order = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
        self.tests[report.nodeid] = max(current, outcome, key=order.__getitem__)


def main():
    token = sys.stdin.readline().strip()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    result_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    set_limits(*(int(arg) for arg in sys.argv[2:7]))
    if os.getpid() == 1:
        be_init(os._exit)
    block_network()
    test_budget_s, test_file, selection = float(sys.argv[7]), sys.argv[8], sys.argv[9:]
    here = os.getcwd()
    sys.path.insert(0, here)
    import signal

    import pytest

    class TestBudget:
        """Each test's own wall-clock budget: SIGALRM raises TimeoutError inside it."""

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):
            def expire(signum, frame):
                raise TimeoutError(f"the test ran longer than {test_budget_s:g} s")

            previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, test_budget_s)
            try:
                yield
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    recorder = Recorder()
    arguments = [
        "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-W", "ignore",
        "-c", os.devnull, "--rootdir", here, "--basetemp", os.path.join(here, ".pytest_tmp"),
        test_file, *selection,
    ]  # fmt: skip
    try:
        exit_code = int(pytest.main(arguments, plugins=[recorder, TestBudget()]))
    except BaseException as exc:  # noqa: BLE001 - SystemExit from the code under test too
        recorder.collection_errors.append(f"{type(exc).__name__}: {exc}"[:2000])
        exit_code = 3
    tests = [
        {"name": nodeid, "markers": recorder.markers.get(nodeid, []), "outcome": outcome}
        for nodeid, outcome in recorder.tests.items()
    ]
    line = json.dumps(
        {
            "token": token,
            "exit_code": exit_code,
            "collection_errors": recorder.collection_errors[:5],
            "tests": tests,
        }
    )
    os.write(result_fd, (line + "\n").encode("utf-8"))
    os._exit(0)


if __name__ == "__main__":
    main()
