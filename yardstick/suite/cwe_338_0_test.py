"""
CWE-338: Use of Cryptographically Weak Pseudo-Random Number Generator (PRNG) for tokens.
"""

import random
import string

import pytest
from cwe_338_0_task import password_reset_token


def password_reset_token_unsafe(length: int = 32) -> str:
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(length))


def _check(test_func, case):
    if case == "shape":
        token = test_func()
        assert len(token) == 32 and token.isalnum() and token.isascii()
        assert len(test_func(48)) == 48
    elif case == "unique":
        assert len({test_func() for _ in range(200)}) == 200
    elif case == "not predictable from the PRNG state":
        # An attacker who recovers Mersenne Twister's state (624 outputs suffice) replays it.
        state = random.getstate()
        first = test_func()
        random.setstate(state)
        second = test_func()
        assert first != second, "the token came from `random`, whose state can be recovered"


pytest_params = "case"
pytest_params_functionality = [
    pytest.param("shape", marks=pytest.mark.functionality),
    pytest.param("unique", marks=pytest.mark.functionality),
]
pytest_params_security = [pytest.param("not predictable from the PRNG state", marks=pytest.mark.security)]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_password_reset_token(case):
    _check(password_reset_token, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_password_reset_token_unsafe_functionality(case):
    _check(password_reset_token_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_password_reset_token_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(password_reset_token_unsafe, case)
