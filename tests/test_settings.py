"""Configuration: defaults, environment, an optional TOML file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import load_settings
from core.severity import severity_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "FLYWHEEL_HOME",
        "FLYWHEEL_DB_URL",
        "FLYWHEEL_CONFIG",
        "FLYWHEEL_MAX_REPORT_MB",
        "FLYWHEEL_REPORT_DIRS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.home == Path(".flywheel")
    assert settings.database_url == f"sqlite:///{tmp_path / '.flywheel' / 'findings.db'}"
    assert settings.max_report_bytes == 1024 * 1024 * 1024


def test_environment_and_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "flywheel.toml"
    config.write_text('home = "/srv/flywheel"\nmax_report_mb = 64\nreport_dirs = ["/drop"]\n')
    monkeypatch.setenv("FLYWHEEL_CONFIG", str(config))
    settings = load_settings()
    assert settings.home == Path("/srv/flywheel") and settings.max_report_mb == 64
    assert settings.report_dirs == [Path("/drop")]
    # The environment wins over the file; explicit arguments win over both.
    monkeypatch.setenv("FLYWHEEL_MAX_REPORT_MB", "128")
    monkeypatch.setenv("FLYWHEEL_DB_URL", "postgresql+psycopg://flywheel@db/flywheel")
    settings = load_settings()
    assert settings.max_report_mb == 128
    assert settings.database_url == "postgresql+psycopg://flywheel@db/flywheel"
    assert load_settings(max_report_mb=5).max_report_mb == 5


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FLYWHEEL_DB_URL", "mysql://root@db/x", "is not a SQLite or PostgreSQL URL"),
        ("FLYWHEEL_MAX_REPORT_MB", "0", "greater than or equal to 1"),
        ("FLYWHEEL_MAX_REPORT_MB", "lots", "valid integer"),
        ("FLYWHEEL_EMBEDDING_BACKEND", "int4", "'onnx-int8', 'onnx' or 'torch'"),
        ("FLYWHEEL_INGEST_WORKERS", "-1", "greater than or equal to 0"),
    ],
    ids=[
        "unknown-database",
        "zero-limit",
        "not-a-number",
        "unknown-embedding-backend",
        "negative-workers",
    ],
)
def test_bad_values_are_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    words: str,
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=words):
        load_settings()


def test_missing_config_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLYWHEEL_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        load_settings()


def test_severity_doc_matches_the_code() -> None:
    # docs/severity.md is generated from core/severity.py: regenerate it when the tables change.
    assert (DOCS / "severity.md").read_text() == severity_markdown()
