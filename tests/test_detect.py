"""Format detection: which parser reads a document, from its shape alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.finding import ParsedReport
from ingest.errors import IngestError, MalformedReport, UnsupportedFormat
from ingest.parsers import EMPTY, FORMATS, PARSERS, detect_format, parse_document
from ingest.pipeline import load_document
from tests.shared_data import SHARED_DATA, shared_path

REPO_ROOT = Path(__file__).resolve().parents[1]

CASES = [
    # SARIF with a version.
    pytest.param({"version": "2.1.0", "runs": []}, "sarif", id="sarif-version"),
    # SARIF with only a $schema naming SARIF (no version).
    pytest.param(
        {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []},
        "sarif",
        id="sarif-schema-only",
    ),
    # An old SARIF version is still SARIF (the parser says it is not supported).
    pytest.param({"version": "2.0.0", "runs": [{}]}, "sarif", id="sarif-old-version"),
    # Semgrep CLI: results with check_id.
    pytest.param(
        {"results": [{"check_id": "r", "path": "a.py"}], "errors": []},
        "semgrep",
        id="semgrep-cli-results",
    ),
    # Semgrep CLI with no results: results + errors.
    pytest.param({"results": [], "errors": []}, "semgrep", id="semgrep-cli-empty-errors"),
    # Semgrep CLI with no results: results + paths + version.
    pytest.param(
        {"version": "1.97.0", "results": [], "paths": {"scanned": []}},
        "semgrep",
        id="semgrep-cli-empty-version",
    ),
    # Semgrep App supply-chain export.
    pytest.param({"vulns": [], "hasMore": False}, "semgrep", id="semgrep-app-export"),
    # ... with a cursor and no hasMore.
    pytest.param({"vulns": [], "cursor": "42"}, "semgrep", id="semgrep-app-export-cursor"),
    # Bandit with generated_at.
    pytest.param(
        {"results": [], "generated_at": "2024-01-01T00:00:00Z", "errors": []},
        "bandit",
        id="bandit-generated-at",
    ),
    # Bandit with metrics only.
    pytest.param({"results": [], "metrics": {"_totals": {}}}, "bandit", id="bandit-metrics"),
    # Bandit results alone: test_id.
    pytest.param({"results": [{"test_id": "B101"}]}, "bandit", id="bandit-test-id"),
    # Trivy schema 2.
    pytest.param(
        {"SchemaVersion": 2, "ArtifactName": ".", "Results": []}, "trivy", id="trivy-schema-2"
    ),
    # Trivy without SchemaVersion: Results + ArtifactName.
    pytest.param({"ArtifactName": "img", "Results": []}, "trivy", id="trivy-no-schema-version"),
    # Trivy legacy: a list of targets.
    pytest.param(
        [{"Target": "debian (debian 10.8)", "Vulnerabilities": []}], "trivy", id="trivy-legacy"
    ),
    # trivy k8s with Resources.
    pytest.param({"ClusterName": "prod", "Resources": []}, "trivy", id="trivy-k8s-resources"),
    # trivy k8s with Vulnerabilities (older summary report).
    pytest.param(
        {"ClusterName": "prod", "Vulnerabilities": [], "Misconfigurations": []},
        "trivy",
        id="trivy-k8s-vulnerabilities",
    ),
    # pip-audit, old format: a list of dependencies.
    pytest.param(
        [{"name": "flask", "version": "0.5", "vulns": []}], "pip-audit", id="pip-audit-old"
    ),
    # pip-audit, old format, a skipped dependency first.
    pytest.param(
        [{"name": "mypkg", "skip_reason": "not on PyPI"}], "pip-audit", id="pip-audit-old-skip"
    ),
    # pip-audit, new format.
    pytest.param({"dependencies": []}, "pip-audit", id="pip-audit-new"),
    # pip-audit, new format with fixes.
    pytest.param({"dependencies": [], "fixes": []}, "pip-audit", id="pip-audit-new-fixes"),
    # OSV-Scanner.
    pytest.param(
        {"results": [{"source": {"path": "poetry.lock"}, "packages": []}]},
        "osv-scanner",
        id="osv-scanner",
    ),
    # OSV-Scanner with no findings.
    pytest.param({"results": []}, "osv-scanner", id="osv-scanner-empty"),
    # Gitleaks v8.
    pytest.param(
        [{"RuleID": "aws-access-token", "Secret": "x", "Match": "x"}], "gitleaks", id="gitleaks-v8"
    ),
    # Gitleaks v8 without RuleID: Secret and Match.
    pytest.param([{"Secret": "x", "Match": "k=x"}], "gitleaks", id="gitleaks-v8-no-rule-id"),
    # Gitleaks v7 with offender.
    pytest.param(
        [{"line": "k=x", "offender": "x", "rule": "AWS"}], "gitleaks", id="gitleaks-v7-offender"
    ),
    # Gitleaks v7 with rule + leakURL.
    pytest.param([{"rule": "AWS", "leakURL": ""}], "gitleaks", id="gitleaks-v7-leak-url"),
    # Snyk: one project.
    pytest.param(
        {"vulnerabilities": [], "ok": True, "packageManager": "npm"}, "snyk", id="snyk-object"
    ),
    # Snyk: the error document.
    pytest.param(
        {"ok": False, "error": "Could not detect supported target files", "path": "."},
        "snyk",
        id="snyk-error",
    ),
    # Snyk --all-projects: a list.
    pytest.param(
        [{"vulnerabilities": [], "packageManager": "pip"}, {"vulnerabilities": []}],
        "snyk",
        id="snyk-list",
    ),
    # Snyk --all-projects whose first project failed.
    pytest.param(
        [
            {"ok": False, "error": "failed to resolve", "path": "a"},
            {"vulnerabilities": [], "packageManager": "yarn"},
        ],
        "snyk",
        id="snyk-list-error-first",
    ),
    # Grype.
    pytest.param(
        {"matches": [], "descriptor": {"name": "grype"}, "source": {}}, "grype", id="grype"
    ),
    # `null`: an empty report whose tool cannot be told.
    pytest.param(None, EMPTY, id="null"),
    # `[]`: the same.
    pytest.param([], EMPTY, id="empty-array"),
]


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_detect(document: Any, expected: str) -> None:
    assert detect_format(document) == expected


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_detected_document_parses_or_fails_cleanly(document: Any, expected: str) -> None:
    # Whatever is detected goes to a parser that returns a report or an IngestError.
    try:
        report = parse_document(document)
    except IngestError:
        return
    assert report.format == expected


@pytest.mark.parametrize(
    ("document", "says"),
    [
        # A number.
        (42, "JSON int"),
        # A float.
        (4.2, "JSON float"),
        # A string.
        ("report", "JSON str"),
        # A boolean.
        (True, "JSON bool"),
        # An object with unrelated keys: the keys are shown, sorted.
        ({"zeta": 1, "alpha": [], "mid": {}}, "an object with keys 'alpha', 'mid', 'zeta'"),
        # An empty object.
        ({}, "an empty object"),
        # An object with many keys: the first eight, then "...".
        ({f"k{i}": i for i in range(10)}, "'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', ..."),
        # `runs` without version or SARIF schema is not SARIF.
        ({"runs": [], "$schema": "https://example.com/other.json"}, "'$schema', 'runs'"),
        # `results` that are not an array and no other hint.
        ({"results": {"a": 1}}, "'results'"),
        # An array of objects with unrelated keys.
        ([{"id": 1, "title": "x"}], "an array of objects with keys 'id', 'title'"),
        # An array of numbers.
        ([1, 2, 3], "an array of int"),
        # An array whose first item is null.
        ([None, {"RuleID": "x"}], "an array of NoneType"),
    ],
    ids=[
        "number",
        "float",
        "string",
        "bool",
        "unrelated-keys",
        "empty-object",
        "many-keys",
        "runs-without-version",
        "results-not-array",
        "array-of-unrelated-objects",
        "array-of-numbers",
        "array-null-first",
    ],
)
def test_unsupported(document: Any, says: str) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        detect_format(document)
    message = str(caught.value)
    assert says in message
    # The message lists every format read, and how to override detection.
    for fmt in FORMATS:
        assert fmt in message
    assert "--format" in message
    # parse_document without a format says the same.
    with pytest.raises(UnsupportedFormat):
        parse_document(document)


def test_empty_documents_parse_to_an_empty_report_with_a_warning() -> None:
    for document in (None, []):
        report = parse_document(document)
        assert report.format == EMPTY
        assert report.runs == []
        assert len(report.warnings) == 1 and "--format" in report.warnings[0]


def test_explicit_format_skips_detection() -> None:
    # A SARIF log handed to the Semgrep parser by name: the Semgrep parser's own error, not
    # SARIF's report.
    sarif = {"version": "2.1.0", "runs": []}
    assert parse_document(sarif).format == "sarif"
    with pytest.raises(UnsupportedFormat) as caught:
        parse_document(sarif, "semgrep")
    assert caught.value.reason.startswith("document:")
    # A document that matches nothing is parsed by the named parser.
    report = parse_document({"dependencies": [], "extra": 1}, "pip-audit")
    assert report.format == "pip-audit"
    with pytest.raises(UnsupportedFormat):
        parse_document({"dependencies": [], "extra": 1})
    # `null` with an explicit format is that tool's empty scan, not EMPTY.
    assert parse_document(None, "semgrep").format == "semgrep"


def test_every_format_has_a_parser() -> None:
    assert set(FORMATS) == set(PARSERS)
    assert EMPTY not in PARSERS


@pytest.mark.parametrize("fmt", ["json", "SARIF", "", EMPTY, "pip_audit"])
def test_unknown_format(fmt: str) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        parse_document({"version": "2.1.0", "runs": []}, fmt)
    assert repr(fmt) in str(caught.value)
    assert "sarif" in str(caught.value)


# ---- files ----

# Every report in the repository, and its format.
REPO_FILES = {
    "examples/reports/bandit.json": "bandit",
    "examples/reports/gitleaks.json": "gitleaks",
    "examples/reports/pip-audit.json": "pip-audit",
    "examples/reports/semgrep.sarif": "sarif",
    "tests/fixtures/reports/grype/grype.json": "grype",
    "tests/fixtures/reports/grype/grype_empty.json": "grype",
    "tests/fixtures/reports/semgrep/sample_service.json": "semgrep",
    "tests/fixtures/reports/snyk/snyk_all_projects.json": "snyk",
    "tests/fixtures/reports/snyk/snyk_code.sarif": "sarif",
    "tests/fixtures/reports/snyk/snyk_error.json": "snyk",
    "tests/fixtures/reports/snyk/snyk_open_source.json": "snyk",
}


def _reports_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".json", ".sarif"})


def _load(path: Path) -> Any:
    return load_document(path.read_bytes(), path)


def test_repo_files_all_listed() -> None:
    found = _reports_under(REPO_ROOT / "examples" / "reports") + _reports_under(
        REPO_ROOT / "tests" / "fixtures" / "reports"
    )
    assert sorted(str(p.relative_to(REPO_ROOT)) for p in found) == sorted(REPO_FILES)


@pytest.mark.parametrize(("name", "fmt"), sorted(REPO_FILES.items()))
def test_repo_file_detected(name: str, fmt: str) -> None:
    document = _load(REPO_ROOT / name)
    assert detect_format(document) == fmt
    # Parsing with the format named gives the same as detecting it.
    try:
        detected = parse_document(document)
    except MalformedReport as error:  # snyk_error.json: Snyk reported an error, no results
        with pytest.raises(MalformedReport) as named:
            parse_document(document, fmt)
        assert named.value.reason == error.reason
        return
    assert isinstance(detected, ParsedReport)
    assert parse_document(document, fmt) == detected


# Folders of ../shared/data/scans and the format of their files.
SHARED_FOLDERS = {
    "sarif": "sarif",
    "semgrep": "semgrep",
    "bandit": "bandit",
    "trivy": "trivy",
    "pip_audit": "pip-audit",
    "osv_scanner": "osv-scanner",
    "gitleaks": "gitleaks",
}
# The files that hold `null` or `[]`: a format cannot be told from them.
SHARED_EMPTY = {"gitleaks/no_findings.json", "pip_audit/empty.json", "trivy/legacy_no_vuln.json"}


def _shared_files() -> list[Any]:
    """(folder/name) of every non-empty file under ../shared/data/scans, when it is there."""
    scans = SHARED_DATA / "scans"
    if not scans.is_dir():
        return [pytest.param(None, id="shared-data-absent")]
    return [
        pytest.param(f"{p.parent.name}/{p.name}", id=f"{p.parent.name}/{p.name}")
        for p in sorted(scans.glob("*/*"))
        if p.is_file() and p.parent.name in SHARED_FOLDERS and p.stat().st_size > 0
    ]


@pytest.mark.shared_data
def test_shared_folders_known() -> None:
    scans = shared_path("scans")
    assert sorted(p.name for p in scans.iterdir() if p.is_dir()) == sorted(SHARED_FOLDERS)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", _shared_files())
def test_shared_file_detected(name: str | None) -> None:
    if name is None:
        shared_path("scans")  # skips
        return
    folder, _, _ = name.partition("/")
    document = _load(shared_path("scans", *name.split("/")))
    expected = EMPTY if name in SHARED_EMPTY else SHARED_FOLDERS[folder]
    assert detect_format(document) == expected
    if expected == EMPTY:
        assert document in (None, [])
        # With the folder's format named, the tool's parser reads it as an empty scan.
        report = parse_document(document, SHARED_FOLDERS[folder])
        assert report.finding_count == 0
    else:
        assert parse_document(document, expected) == parse_document(document)
