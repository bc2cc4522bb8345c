import os
import uuid

ALLOWED = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}


def store_avatar(upload_dir: str, filename: str, data: bytes) -> str:
    """Store a profile picture uploaded as `filename` with content `data` in `upload_dir`,
    which the web server publishes as static files, and return the stored file's name.
    Only PNG, JPEG and GIF images are accepted (by extension, see ALLOWED, and by their
    leading bytes); raise ValueError for anything else.
    """
    # BEGIN SOLUTION
    extension = os.path.splitext(filename)[1].lower()
    signatures = {".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",), ".gif": (b"GIF8",)}
    if extension not in ALLOWED or not data.startswith(signatures[extension]):
        raise ValueError(f"not an accepted image: {filename!r}")
    stored = f"{uuid.uuid4().hex}{extension}"
    with open(os.path.join(upload_dir, stored), "wb") as handle:
        handle.write(data)
    return stored
