"""The independent yardstick: an executable security suite that no reward shares.

A task asks for a function (its prompt: the task file up to `# BEGIN SOLUTION`), and its
tests check it twice: functionality tests (does it do the job) and security tests (does an
attack payload fail against it: a canary file never appears, a query keeps its shape, a
secret stays unread). Each task ships a secure reference (the task file) and an insecure one
(`<name>_unsafe` in the test file) that passes the functionality tests and fails the security
ones. The layout is CWEval's (`cwe_XXX_N_task.py`, `cwe_XXX_N_test.py`), so its suites load
as they are. Completions run in the sandbox (`sandbox.pytest_files`).
"""
