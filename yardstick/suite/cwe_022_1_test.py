"""
CWE-022: Path Traversal ('Zip Slip'): archive members that climb out of the destination.
"""

import os
import zipfile

import pytest
from cwe_022_1_task import extract_archive


def extract_archive_unsafe(archive_path: str, destination: str) -> list[str]:
    names = []
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            target = os.path.join(destination, member.filename)
            if member.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as out:
                out.write(archive.read(member))
            names.append(member.filename)
    return names


def _make_zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)


def _check(test_func, tmp_path, entries, expected):
    archive = tmp_path / "upload.zip"
    _make_zip(archive, entries)
    destination = tmp_path / "out" / "extracted"
    destination.mkdir(parents=True)
    if expected is ValueError:
        try:
            test_func(str(archive), str(destination))
        except ValueError:
            pass
        # Nothing may have been written outside the destination either way.
        outside = [p for p in tmp_path.rglob("*") if p.is_file() and p.name == "evil.txt"]
        assert outside == [] or all(str(p).startswith(str(destination)) for p in outside)
        assert not (tmp_path / "out" / "evil.txt").exists()
        assert not (tmp_path / "evil.txt").exists()
    else:
        assert test_func(str(archive), str(destination)) == expected
        for name in expected:
            assert (destination / name).is_file()


pytest_params = "entries, expected"
pytest_params_functionality = [
    pytest.param([("a.txt", "1"), ("docs/b.txt", "2")], ["a.txt", "docs/b.txt"], marks=pytest.mark.functionality),
    pytest.param([("readme.md", "# hi")], ["readme.md"], marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param([("ok.txt", "1"), ("../evil.txt", "x")], ValueError, marks=pytest.mark.security),
    pytest.param([("../../evil.txt", "x")], ValueError, marks=pytest.mark.security),
    pytest.param([("docs/../../evil.txt", "x")], ValueError, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_extract_archive(tmp_path, entries, expected):
    _check(extract_archive, tmp_path, entries, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_extract_archive_unsafe_functionality(tmp_path, entries, expected):
    _check(extract_archive_unsafe, tmp_path, entries, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_extract_archive_unsafe_security(tmp_path, entries, expected):
    with pytest.raises(AssertionError):
        _check(extract_archive_unsafe, tmp_path, entries, expected)
