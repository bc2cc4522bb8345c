"""Password hashing and tokens, done wrong."""

import hashlib
import random


def hash_password(password):
    # Weak hash for passwords (CWE-327/328).
    return hashlib.md5(password.encode()).hexdigest()


def reset_token():
    # Predictable randomness for a security token (CWE-330).
    return "".join(random.choice("abcdef0123456789") for _ in range(32))
