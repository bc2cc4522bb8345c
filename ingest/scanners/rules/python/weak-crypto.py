import hashlib
import random
import secrets


def bad(password):
    # ruleid: flywheel.python.weak-hash
    digest = hashlib.md5(password.encode()).hexdigest()
    # ruleid: flywheel.python.insecure-random
    token = "".join(random.choice("abc") for _ in range(8))
    return digest, token


def good(password):
    # ok: flywheel.python.weak-hash
    digest = hashlib.sha256(password.encode()).hexdigest()
    # ok: flywheel.python.insecure-random
    token = secrets.token_hex(16)
    return digest, token
