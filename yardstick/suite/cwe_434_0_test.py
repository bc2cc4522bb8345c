"""
CWE-434: Unrestricted Upload of File with Dangerous Type (into a published folder).
"""

import os

import pytest
from cwe_434_0_task import store_avatar

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def store_avatar_unsafe(upload_dir: str, filename: str, data: bytes) -> str:
    with open(os.path.join(upload_dir, filename), "wb") as handle:
        handle.write(data)
    return filename


def _check(test_func, tmp_path, filename, data, accepted):
    published = tmp_path / "static" / "avatars"
    published.mkdir(parents=True)
    try:
        stored = test_func(str(published), filename, data)
    except ValueError:
        stored = None
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    if accepted:
        assert stored is not None and (published / stored).read_bytes() == data
        assert (published / stored).resolve().parent == published.resolve(), "stored elsewhere"
        assert os.path.splitext(stored)[1].lower() in (".png", ".jpg", ".jpeg", ".gif")
    else:
        assert stored is None, f"stored {stored!r}"
        assert written == [], f"wrote {written}"


pytest_params = "filename, data, accepted"
pytest_params_functionality = [
    pytest.param("me.png", PNG, True, marks=pytest.mark.functionality),
    pytest.param("Holiday Photo.JPG", JPEG, True, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("shell.php", b"<?php system($_GET['c']); ?>", False, marks=pytest.mark.security),
    pytest.param("avatar.png.html", b"<script>alert(1)</script>", False, marks=pytest.mark.security),
    pytest.param("evil.png", b"<?php echo 1; ?>", False, marks=pytest.mark.security),
    pytest.param("../../app.png", PNG, True, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_store_avatar(tmp_path, filename, data, accepted):
    _check(store_avatar, tmp_path, filename, data, accepted)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_store_avatar_unsafe_functionality(tmp_path, filename, data, accepted):
    _check(store_avatar_unsafe, tmp_path, filename, data, accepted)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_store_avatar_unsafe_security(tmp_path, filename, data, accepted):
    with pytest.raises(AssertionError):
        _check(store_avatar_unsafe, tmp_path, filename, data, accepted)
