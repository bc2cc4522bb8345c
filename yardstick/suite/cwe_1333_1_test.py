"""
CWE-1333: Inefficient Regular Expression Complexity (ReDoS) with nested repetition.
"""

import re
import time

import pytest
from cwe_1333_1_task import parse_duration


def parse_duration_unsafe(text: str) -> int:
    match = re.match(r"^((\d+\s*)+h)?\s*((\d+\s*)+m)?\s*((\d+\s*)+s)?$", text)
    if not match or not text.strip():
        raise ValueError(text)
    values = [int(re.sub(r"\s", "", g[:-1])) if g else 0 for g in (match.group(1), match.group(3), match.group(5))]
    return values[0] * 3600 + values[1] * 60 + values[2]


def _check(test_func, text, expected, budget_s=0.5):
    started = time.perf_counter()
    try:
        result = test_func(text)
    except ValueError:
        result = "refused"
    elapsed = time.perf_counter() - started
    assert elapsed < budget_s, f"took {elapsed:.2f} s"
    assert result == expected


pytest_params = "text, expected"
pytest_params_functionality = [
    pytest.param("1h30m", 5400, marks=pytest.mark.functionality),
    pytest.param("45m", 2700, marks=pytest.mark.functionality),
    pytest.param("1h 5m 30s", 3930, marks=pytest.mark.functionality),
    pytest.param("soon", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("1" * 22 + "x", "refused", marks=pytest.mark.security),
    pytest.param("30" * 11 + "?", "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_parse_duration(text, expected):
    _check(parse_duration, text, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_parse_duration_unsafe_functionality(text, expected):
    _check(parse_duration_unsafe, text, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_parse_duration_unsafe_security(text, expected):
    with pytest.raises(AssertionError):
        _check(parse_duration_unsafe, text, expected)
