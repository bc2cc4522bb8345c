"""
CWE-307: Improper Restriction of Excessive Authentication Attempts.
"""

import pytest
from cwe_307_0_task import LoginGuard


class LoginGuardUnsafe:
    def __init__(self, check, clock=None):
        self.check = check

    def attempt(self, username, password):
        return self.check(username, password)


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def _guard(cls, clock):
    calls = []

    def check(username, password):
        calls.append(password)
        return (username, password) == ("alice", "correct")

    return cls(check, clock), calls


def _check(cls, case):
    clock = Clock()
    guard, calls = _guard(cls, clock)
    if case == "logs in":
        assert guard.attempt("alice", "correct") is True
        assert guard.attempt("alice", "wrong") is False
        assert guard.attempt("alice", "correct") is True
    elif case == "a few mistakes are fine":
        for _ in range(4):
            assert guard.attempt("alice", "oops") is False
        assert guard.attempt("alice", "correct") is True
    elif case == "guessing is stopped":
        refused = 0
        for guess in range(100):
            try:
                guard.attempt("alice", f"guess{guess}")
            except PermissionError:
                refused += 1
        assert refused >= 90 and len(calls) <= 10, f"{len(calls)} passwords were tried"
        with pytest.raises(PermissionError):
            guard.attempt("alice", "correct")
        assert guard.attempt("bob", "x") is False  # other accounts are unaffected
    elif case == "the lock expires":
        for guess in range(5):
            guard.attempt("alice", f"guess{guess}")
        clock.now += 901
        assert guard.attempt("alice", "correct") is True


pytest_params = "case"
pytest_params_functionality = [
    pytest.param("logs in", marks=pytest.mark.functionality),
    pytest.param("a few mistakes are fine", marks=pytest.mark.functionality),
    pytest.param("the lock expires", marks=pytest.mark.functionality),
]
pytest_params_security = [pytest.param("guessing is stopped", marks=pytest.mark.security)]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_login_guard(case):
    _check(LoginGuard, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_login_guard_unsafe_functionality(case):
    _check(LoginGuardUnsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_login_guard_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(LoginGuardUnsafe, case)
