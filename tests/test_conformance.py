"""Conformance: every real report under ../shared/data/scans (DefectDojo's parser corpus, real
outputs of real tools) goes through the whole pipeline into the store.

Valid files ingest with the number of findings they hold; the empty one fails cleanly.
The counts were established by reading each file (see the parser tests for the details);
`stored` is lower than `records` only where a file repeats a finding.
"""

from __future__ import annotations

import pytest

from ingest.errors import EmptyReport
from ingest.pipeline import IngestOptions, ingest_paths, ingest_report
from store import FindingsStore
from tests import shared_data
from tests.shared_data import shared_path

pytestmark = pytest.mark.shared_data

# file -> (format detected, records in the file)
EXPECTED: dict[str, tuple[str, int]] = {
    "bandit/dd.json": ("bandit", 47),
    "bandit/dd2.json": ("bandit", 165),
    "bandit/many_vulns.json": ("bandit", 214),
    "bandit/no_vuln.json": ("bandit", 0),
    "bandit/one_vuln.json": ("bandit", 1),
    "gitleaks/data_many.json": ("gitleaks", 2),
    "gitleaks/gitleaks8_many.json": ("gitleaks", 4),
    "gitleaks/no_findings.json": ("empty", 0),  # `null`
    "gitleaks/redacted_data_many.json": ("gitleaks", 6),
    "osv_scanner/many_findings.json": ("osv-scanner", 37),
    "osv_scanner/some_findings.json": ("osv-scanner", 1),
    "pip_audit/empty.json": ("empty", 0),  # `[]`
    "pip_audit/empty_new.json": ("pip-audit", 0),
    "pip_audit/many_vulns.json": ("pip-audit", 7),
    "pip_audit/many_vulns_new.json": ("pip-audit", 7),
    "pip_audit/zero_vulns.json": ("pip-audit", 0),
    "pip_audit/zero_vulns_new.json": ("pip-audit", 0),
    "sarif/appendix_k.sarif": ("sarif", 1),
    "sarif/appendix_k1.sarif": ("sarif", 0),
    "sarif/appendix_k2.sarif": ("sarif", 1),
    "sarif/appendix_k3.sarif": ("sarif", 1),
    "sarif/appendix_k4.sarif": ("sarif", 1),
    "sarif/bash-report.sarif": ("sarif", 27),
    "sarif/codeQL-output.sarif": ("sarif", 72),
    "sarif/dependency_check.sarif": ("sarif", 13),
    "sarif/gitleaks_7.5.0.sarif": ("sarif", 8),
    "sarif/no_runs.sarif": ("sarif", 0),
    "sarif/semgrepowasp-benchmark-sample.sarif": ("sarif", 1768),
    "sarif/spotbugs.sarif": ("sarif", 56),
    "sarif/suppression_test.sarif": ("sarif", 5),
    "sarif/taint-python-report.sarif": ("sarif", 11),
    "semgrep/close_old_findings_report_line31.json": ("semgrep", 1),
    "semgrep/close_old_findings_report_second_run_line24.json": ("semgrep", 1),
    "semgrep/close_old_findings_report_third_run_different_unique_id.json": ("semgrep", 1),
    "semgrep/cwe_list.json": ("semgrep", 1),
    "semgrep/empty.json": ("semgrep", 0),
    "semgrep/fingerprint_test.json": ("semgrep", 2),
    "semgrep/high-medium-low-severities.json": ("semgrep", 3),
    "semgrep/issue_8435.json": ("semgrep", 1),
    "semgrep/many_findings.json": ("semgrep", 3),
    "semgrep/many_vulns.json": ("semgrep", 48),
    "semgrep/multiple_cwes_fabricated.json": ("semgrep", 1),
    "semgrep/one_finding.json": ("semgrep", 1),
    "semgrep/repeated_findings.json": ("semgrep", 2),
    "semgrep/sca-deployments-vulns.json": ("semgrep", 22),
    "semgrep/semgrep_version_1_30_0_line_26.json": ("semgrep", 5),
    "semgrep/semgrep_version_1_30_0_line_27.json": ("semgrep", 5),
    "trivy/all_statuses.json": ("trivy", 8),
    "trivy/cvss_severity_source.json": ("trivy", 2),
    "trivy/kubernetes.json": ("trivy", 20),
    "trivy/legacy_many_vulns.json": ("trivy", 93),
    "trivy/legacy_no_vuln.json": ("empty", 0),  # `null`
    "trivy/misconfigurations_and_secrets.json": ("trivy", 5),
    "trivy/scheme_2_many_vulns.json": ("trivy", 5),
    "trivy/scheme_2_no_vuln.json": ("trivy", 0),
}
INVALID = {"osv_scanner/no_findings.json": EmptyReport}  # a real 0-byte file


def test_every_shared_report_is_accounted_for() -> None:
    scans = shared_path("scans")
    on_disk = {
        str(p.relative_to(scans)) for p in scans.rglob("*") if p.is_file() and p.suffix != ".md"
    }
    assert on_disk == set(EXPECTED) | set(INVALID)


def test_every_real_report_ingests_with_its_findings(store: FindingsStore) -> None:
    scans = shared_path("scans")
    by_path = {}
    for name in EXPECTED:
        # Each file is a scan of its own service: no file's findings pair with another's.
        summary = ingest_paths([scans / name], store, IngestOptions(service=name))
        by_path[scans / name] = summary.reports[0]
    stored = 0
    for name, (fmt, records) in EXPECTED.items():
        result = by_path[scans / name]
        assert result.status == "ingested", (name, result.error)
        assert result.format == fmt, name
        assert result.records == records, name
        duplicates = sum(run.duplicates for run in result.runs)
        assert result.counts()["new"] == records - duplicates, name
        stored += records - duplicates
    assert store.count() == stored


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_real_reports_fail_cleanly(store: FindingsStore, name: str) -> None:
    path = shared_path("scans", name)
    with pytest.raises(INVALID[name]) as raised:
        ingest_report(path, store)
    assert str(path) in str(raised.value)
    assert store.count() == 0 and store.reports() == []


def test_without_the_shared_data_its_tests_skip_and_say_where_to_point(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    # CI has ../shared/data; elsewhere FLYWHEEL_SHARED_DATA points at a copy, or tests skip.
    monkeypatch.setattr(shared_data, "SHARED_DATA", tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception, match="absent.*FLYWHEEL_SHARED_DATA"):
        shared_data.shared_path("scans")
    monkeypatch.setattr(shared_data, "SHARED_DATA", tmp_path)
    (tmp_path / "scans").mkdir()
    assert shared_data.shared_path("scans") == tmp_path / "scans"
