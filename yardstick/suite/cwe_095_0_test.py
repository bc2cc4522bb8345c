"""
CWE-095: Eval Injection in a calculator.
"""

import pytest
from cwe_095_0_task import calculate


def calculate_unsafe(expression: str) -> float:
    return float(eval(expression))


def _check(test_func, tmp_path, expression, expected):
    canary = tmp_path / "pwned"
    expression = expression.replace("CANARY", str(canary))
    try:
        result = test_func(expression)
    except (ValueError, TypeError, ZeroDivisionError, SyntaxError):
        result = "refused"
    assert not canary.exists(), "the expression ran code"
    assert result == expected


pytest_params = "expression, expected"
pytest_params_functionality = [
    pytest.param("2 * (3 + 4) / 7", 2.0, marks=pytest.mark.functionality),
    pytest.param("-5 + 2 ** 3", 3.0, marks=pytest.mark.functionality),
    pytest.param("10 % 4", 2.0, marks=pytest.mark.functionality),
    pytest.param("2 +", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("__import__('os').system('touch CANARY')", "refused", marks=pytest.mark.security),
    pytest.param("open('CANARY', 'w').write('x') and 1", "refused", marks=pytest.mark.security),
    pytest.param("(lambda: 1)()", "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_calculate(tmp_path, expression, expected):
    _check(calculate, tmp_path, expression, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_calculate_unsafe_functionality(tmp_path, expression, expected):
    _check(calculate_unsafe, tmp_path, expression, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_calculate_unsafe_security(tmp_path, expression, expected):
    with pytest.raises(AssertionError):
        _check(calculate_unsafe, tmp_path, expression, expected)
