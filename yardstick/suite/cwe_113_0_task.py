def download_headers(filename: str, size: int) -> list[tuple[str, str]]:
    """HTTP response headers for downloading a stored file under the name the uploader gave
    it: Content-Type application/octet-stream, Content-Length, and Content-Disposition
    `attachment; filename="NAME"`. Return them as (name, value) pairs.
    """
    # BEGIN SOLUTION
    safe = "".join(c for c in filename if c.isprintable() and c not in '"\\\r\n') or "download"
    return [
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(int(size))),
        ("Content-Disposition", f'attachment; filename="{safe}"'),
    ]
