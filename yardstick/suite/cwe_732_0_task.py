import os


def save_private_key(path: str, pem: bytes) -> None:
    """Save a freshly generated TLS private key (PEM bytes) at `path`, replacing any file
    there. Only the service's own user may read it.
    """
    # BEGIN SOLUTION
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
    finally:
        os.close(fd)
