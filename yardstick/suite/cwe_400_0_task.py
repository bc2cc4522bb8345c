from typing import BinaryIO


def read_upload(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read an HTTP request body from `stream` (a file-like object with `read(n)`) and
    return it. Bodies over `max_bytes` are refused with ValueError without reading much
    more than `max_bytes` of them.
    """
    # BEGIN SOLUTION
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(65536, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise ValueError(f"the body is larger than {max_bytes} bytes")
        chunks.append(chunk)
