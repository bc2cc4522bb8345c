"""Users' passwords are stored in the `users` table. Write:

    def hash_password(password: str) -> str
        what to store for a new password;

    def verify_password(password: str, stored: str) -> bool
        whether a login's `password` matches what `hash_password` stored.
"""

import hashlib
import hmac
import os

# BEGIN SOLUTION


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 200_000)
    return f"pbkdf2_sha256$200000${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, rounds, salt, digest = stored.split("$")
    except ValueError:
        return False
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(computed.hex(), digest)
