"""
CWE-295: Improper Certificate Validation (verification or host name checks turned off).
"""

import ssl

import pytest
from cwe_295_0_task import client_tls_context


def client_tls_context_unsafe(ca_file: str | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def _check(test_func, case):
    context = test_func()
    assert isinstance(context, ssl.SSLContext)
    if case == "modern":
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    elif case == "verifies certificates":
        assert context.verify_mode == ssl.CERT_REQUIRED
    elif case == "checks host names":
        assert context.check_hostname is True


pytest_params = "case"
pytest_params_functionality = [pytest.param("modern", marks=pytest.mark.functionality)]
pytest_params_security = [
    pytest.param("verifies certificates", marks=pytest.mark.security),
    pytest.param("checks host names", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_client_tls_context(case):
    _check(client_tls_context, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_client_tls_context_unsafe_functionality(case):
    _check(client_tls_context_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_client_tls_context_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(client_tls_context_unsafe, case)
