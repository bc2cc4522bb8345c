"""
CWE-409: Improper Handling of Highly Compressed Data (a decompression bomb).
"""

import resource
import zipfile

import pytest
from cwe_409_0_task import read_text_files


def read_text_files_unsafe(archive_path, max_total_bytes=10_000_000):
    with zipfile.ZipFile(archive_path) as archive:
        return {
            m.filename: archive.read(m).decode("utf-8")
            for m in archive.infolist()
            if m.filename.endswith(".txt")
        }


def _check(test_func, tmp_path, entries, expected):
    path = tmp_path / "upload.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if isinstance(data, int):  # a bomb: `data` zero bytes, written in chunks
                with archive.open(name, "w", force_zip64=True) as member:
                    for _ in range(data // 1_000_000):
                        member.write(bytes(1_000_000))
            else:
                archive.writestr(name, data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        result = test_func(str(path), 1_000_000)
    except ValueError:
        result = "refused"
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    if expected == "refused":
        assert result == "refused"
        assert grown_kb < 50_000, f"memory grew by {grown_kb} KB before refusing"
    else:
        assert result == expected


pytest_params = "entries, expected"
pytest_params_functionality = [
    pytest.param([("a.txt", "hello"), ("b.txt", "world"), ("c.bin", "x")], {"a.txt": "hello", "b.txt": "world"}, marks=pytest.mark.functionality),
    pytest.param([("notes.txt", "x" * 500_000)], {"notes.txt": "x" * 500_000}, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param([("bomb.txt", 100_000_000)], "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_read_text_files(tmp_path, entries, expected):
    _check(read_text_files, tmp_path, entries, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_read_text_files_unsafe_functionality(tmp_path, entries, expected):
    _check(read_text_files_unsafe, tmp_path, entries, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_read_text_files_unsafe_security(tmp_path, entries, expected):
    with pytest.raises(AssertionError):
        _check(read_text_files_unsafe, tmp_path, entries, expected)
