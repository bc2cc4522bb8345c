"""
CWE-209: Generation of Error Message Containing Sensitive Information.
"""

import json
import logging
import traceback

import pytest
from cwe_209_0_task import handle


def handle_unsafe(handler):
    try:
        return 200, handler()
    except Exception as error:
        logging.getLogger("api").exception("request failed")
        return 500, {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}


def _failing():
    dsn = "postgresql://reporting:Reporting2024!@db.internal:5432/sales"
    raise ConnectionError(f"could not connect to {dsn}")


def _check(test_func, caplog, handler, expected_status):
    with caplog.at_level(logging.ERROR, logger="api"):
        status, body = test_func(handler)
    assert status == expected_status
    assert isinstance(body, dict)
    if expected_status == 200:
        assert body == {"orders": 3}
    else:
        assert set(body) >= {"error"}
        shown = json.dumps(body)
        assert "Reporting2024!" not in shown and "db.internal" not in shown and "Traceback" not in shown
        assert "Reporting2024!" in caplog.text or "ConnectionError" in caplog.text, "the error was not logged"


pytest_params = "handler, expected_status"
pytest_params_functionality = [pytest.param(lambda: {"orders": 3}, 200, marks=pytest.mark.functionality)]
pytest_params_security = [pytest.param(_failing, 500, marks=pytest.mark.security)]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_handle(caplog, handler, expected_status):
    _check(handle, caplog, handler, expected_status)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_handle_unsafe_functionality(caplog, handler, expected_status):
    _check(handle_unsafe, caplog, handler, expected_status)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_handle_unsafe_security(caplog, handler, expected_status):
    with pytest.raises(AssertionError):
        _check(handle_unsafe, caplog, handler, expected_status)
