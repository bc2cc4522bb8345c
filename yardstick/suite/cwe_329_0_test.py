"""
CWE-329: Generation of Predictable IV with CBC Mode (a fixed IV: equal values encrypt alike).
"""

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cwe_329_0_task import decrypt_field, encrypt_field

KEY = bytes(range(32))


def encrypt_field_unsafe(key: bytes, value: str) -> bytes:
    iv = bytes(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(value.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(data) + encryptor.finalize()


def decrypt_field_unsafe(key: bytes, blob: bytes) -> str:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(blob[:16])).decryptor()
    data = decryptor.update(blob[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(data) + unpadder.finalize()).decode()


def _check(encrypt, decrypt, case):
    if case == "roundtrip":
        for value in ("alice@example.com", "", "+1 555 0100"):
            assert decrypt(KEY, encrypt(KEY, value)) == value
    elif case == "equal values look different":
        assert encrypt(KEY, "alice@example.com") != encrypt(KEY, "alice@example.com")
    elif case == "shared prefixes hidden":
        first = encrypt(KEY, "alice@example.com-1")
        second = encrypt(KEY, "alice@example.com-2")
        assert first[16:32] != second[16:32], "the first block leaks the shared prefix"


pytest_params = "case"
pytest_params_functionality = [pytest.param("roundtrip", marks=pytest.mark.functionality)]
pytest_params_security = [
    pytest.param("equal values look different", marks=pytest.mark.security),
    pytest.param("shared prefixes hidden", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_encrypt_field(case):
    _check(encrypt_field, decrypt_field, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_encrypt_field_unsafe_functionality(case):
    _check(encrypt_field_unsafe, decrypt_field_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_encrypt_field_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(encrypt_field_unsafe, decrypt_field_unsafe, case)
