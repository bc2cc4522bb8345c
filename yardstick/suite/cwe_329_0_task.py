"""Personal fields (e-mail addresses, phone numbers) are stored encrypted with AES-256 in
CBC mode. Write:

    def encrypt_field(key: bytes, value: str) -> bytes
        the stored form of `value`;

    def decrypt_field(key: bytes, blob: bytes) -> str
        the value of a `blob` made by `encrypt_field`.
"""

import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# BEGIN SOLUTION


def encrypt_field(key: bytes, value: str) -> bytes:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(value.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(data) + encryptor.finalize()


def decrypt_field(key: bytes, blob: bytes) -> str:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(blob[:16])).decryptor()
    data = decryptor.update(blob[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(data) + unpadder.finalize()).decode()
