"""The test runner inside the sandbox: `sandbox.unit_tests` copies this file into a fresh
temporary directory and runs it there with a new interpreter (`python -s -B <file> <result>`).

Standard library only, and nothing imported from this project: it runs beside untrusted code,
before which it sets its own resource limits and blocks the network. It collects the tests
statically from the test file's AST, runs them, and writes one JSON line with the token it
read from stdin (see `sandbox.unit_tests` for the whole protocol).
"""

import os
import sys

try:  # in a run's directory: the copy beside this file
    from child_limits import be_init, block_network, set_limits
except ImportError:  # imported as sandbox.unit_test_runner, as the tests do
    from sandbox.child_limits import be_init, block_network, set_limits


def _main():
    write, exit_, getpid = os.write, os._exit, os.getpid
    token = sys.stdin.readline().strip()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    result_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    set_limits(*(int(arg) for arg in sys.argv[2:7]))
    if getpid() == 1:
        be_init(exit_)
    me = getpid()
    watched = block_network()

    import __future__

    import ast
    import builtins
    import types
    import unittest
    import unittest.case
    import unittest.loader
    import unittest.suite

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
    snapshot = [
        (label, ns, dict(ns))
        for label, ns in (
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
        )
    ]
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
            token,
            counts["passed"],
            counts["failed"],
            counts["errors"],
            counts["skipped"],
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
                item.name
                for item in node.body
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
            code = compile(
                ast.Module([node], []), path, "exec", flags=compile_flags, dont_inherit=True
            )
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
                key: value
                for key, value in vars(obj).items()
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
        if result.fixture_errors and all(
            test_id in result.status for _, ids in expected for test_id in ids
        ):
            for where, detail in result.fixture_errors:  # e.g. tearDownClass failed
                record(where, "errors", detail)
    finish()


if __name__ == "__main__":
    _main()
