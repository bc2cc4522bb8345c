"""
CWE-327: Use of a Broken or Risky Cryptographic Algorithm (AES in ECB mode, no integrity).
"""

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cwe_327_0_task import decrypt_note, encrypt_note

KEY = bytes(range(32))


def encrypt_note_unsafe(key: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def decrypt_note_unsafe(key: bytes, blob: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    data = decryptor.update(blob) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError as error:
        raise ValueError("bad padding") from error


def _check(encrypt, decrypt, case):
    if case == "roundtrip":
        for text in (b"", b"buy milk", b"x" * 1000):
            assert decrypt(KEY, encrypt(KEY, text)) == text
    elif case == "wrong key":
        blob = encrypt(KEY, b"secret diary")
        try:
            result = decrypt(bytes(32), blob)
        except ValueError:
            result = None
        assert result != b"secret diary"
    elif case == "patterns hidden":
        blob = encrypt(KEY, b"A" * 64)
        blocks = [blob[i : i + 16] for i in range(0, len(blob), 16)]
        assert len(set(blocks)) == len(blocks), "equal plaintext blocks give equal ciphertext"
        assert encrypt(KEY, b"same") != encrypt(KEY, b"same")
    elif case == "tampering detected":
        blob = bytearray(encrypt(KEY, b"pay 100 to alice" * 2))
        blob[-20] ^= 1
        try:
            decrypt(KEY, bytes(blob))
            accepted = True
        except ValueError:
            accepted = False
        assert not accepted, "an altered note decrypted without an error"


pytest_params = "case"
pytest_params_functionality = [
    pytest.param("roundtrip", marks=pytest.mark.functionality),
    pytest.param("wrong key", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("patterns hidden", marks=pytest.mark.security),
    pytest.param("tampering detected", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_encrypt_note(case):
    _check(encrypt_note, decrypt_note, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_encrypt_note_unsafe_functionality(case):
    _check(encrypt_note_unsafe, decrypt_note_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_encrypt_note_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(encrypt_note_unsafe, decrypt_note_unsafe, case)
