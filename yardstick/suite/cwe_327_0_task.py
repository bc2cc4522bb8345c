"""Private notes are stored encrypted with a 256-bit key (AES). Write:

    def encrypt_note(key: bytes, plaintext: bytes) -> bytes
        the stored form of `plaintext`;

    def decrypt_note(key: bytes, blob: bytes) -> bytes
        the plaintext of a `blob` made by `encrypt_note`; raise ValueError when the blob
        was altered or made with another key.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# BEGIN SOLUTION


def encrypt_note(key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def decrypt_note(key: bytes, blob: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], None)
    except (InvalidTag, ValueError) as error:
        raise ValueError("the note was altered or the key is wrong") from error
