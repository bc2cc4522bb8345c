import hashlib

from cryptography.hazmat.primitives import hashes


def digests(password: bytes, blob: bytes):
    # ruleid: flywheel.python.weak-hash
    a = hashlib.md5(password).hexdigest()
    # ruleid: flywheel.python.weak-hash
    b = hashlib.new("sha1", blob)
    # ruleid: flywheel.python.weak-hash
    c = hashes.Hash(hashes.MD5())
    # ok: flywheel.python.weak-hash
    d = hashlib.sha256(blob).hexdigest()
    # ok: flywheel.python.weak-hash
    e = hashlib.new("sha3_256", blob)
    # ok: flywheel.python.weak-hash
    f = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return a, b, c, d, e, f
