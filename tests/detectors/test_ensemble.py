"""The ensemble: how findings group into weaknesses and what each one weighs (table-driven on
synthetic findings), and real scans with Semgrep, Bandit and the dependency check."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.finding import Finding, Kind
from core.severity import Severity
from detectors.dependencies import AdvisoryDB
from detectors.ensemble import (
    MAX_FILE_BYTES,
    Ensemble,
    EnsembleConfig,
    group_by_weakness,
    scannable_files,
    weigh,
)
from detectors.semgrep_runner import ScannerError, run_semgrep

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample_service"
ADVISORIES = ROOT / "examples" / "advisories"


def finding(
    tool: str = "semgrep",
    severity: str = "medium",
    confidence: str | None = "high",
    cwe: int | None = 89,
    line: int = 10,
    path: str = "app.py",
    end: int | None = None,
    kind: Kind = Kind.SAST,
    package: str | None = None,
    vuln: str | None = None,
) -> Finding:
    return Finding(
        tool=tool,
        rule_id=f"{tool}-rule",
        message="m",
        kind=kind,
        severity=Severity(severity),
        confidence=confidence,
        cwe_ids=[cwe] if cwe else [],
        path=path,
        start_line=line,
        end_line=end,
        package=package,
        vuln_ids=[vuln] if vuln else [],
    )


# (case, findings, expected weight, counted) under the default configuration:
# semgrep 1.0, bandit 0.6, consensus 2 tools, full weight alone at >= high severity with high
# confidence, else partial credit 0.5; counted at weight >= 0.5; below medium confidence ignored.
WEIGH_CASES = [
    ("semgrep high/high alone: full", [finding(severity="high")], 1.0, True),
    ("semgrep medium alone: partial, still counted", [finding()], 0.5, True),
    ("bandit high/high alone: its weight", [finding("bandit", "high")], 0.6, True),
    ("bandit medium alone: partial, not counted", [finding("bandit")], 0.3, False),
    (
        "bandit high with medium confidence: partial",
        [finding("bandit", "high", "medium")],
        0.3,
        False,
    ),
    (
        "two tools agree on the CWE at the line: full",
        [finding("bandit"), finding("semgrep")],
        1.0,
        True,
    ),
    (
        "two tools, overlapping lines: one weakness",
        [finding("bandit", line=11), finding("semgrep", line=10, end=12)],
        1.0,
        True,
    ),
    (
        "low confidence (an audit rule): ignored",
        [finding(confidence="low", severity="critical")],
        0.0,
        False,
    ),
    ("no confidence (other SARIF): counts as medium", [finding(confidence=None)], 0.5, True),
    (
        "same tool twice is not consensus",
        [finding("bandit"), finding("bandit", line=10)],
        0.3,
        False,
    ),
    (
        "equivalent CWEs agree (327 ~ 328)",
        [finding("bandit", cwe=327), finding("semgrep", cwe=328)],
        1.0,
        True,
    ),
]


@pytest.mark.parametrize(
    ("findings", "weight", "counted"), [c[1:] for c in WEIGH_CASES], ids=[c[0] for c in WEIGH_CASES]
)
def test_weigh(findings: list[Finding], weight: float, counted: bool) -> None:
    (weakness,) = weigh(findings, EnsembleConfig())
    assert weakness.weight == pytest.approx(weight)
    assert weakness.counted is counted


CONFIG_CASES = [
    (
        "a CWE weight scales the weakness",
        {"cwe_weights": {89: 0.4}},
        [finding(severity="high")],
        0.4,
        False,
    ),
    (
        "an untrusted tool",
        {"tool_weights": {"semgrep": 0.2}},
        [finding(severity="high")],
        0.2,
        False,
    ),
    (
        "unknown tools get the default weight",
        {"default_tool_weight": 0.7},
        [finding("codeql", "high")],
        0.7,
        True,
    ),
    (
        "consensus of 1: any countable finding is full",
        {"consensus": 1},
        [finding("bandit")],
        0.6,
        True,
    ),
    ("full severity lowered to medium", {"full_severity": "medium"}, [finding()], 1.0, True),
    (
        "min confidence low: audit rules count",
        {"min_confidence": "low"},
        [finding(confidence="low")],
        0.5,
        True,
    ),
    ("a stricter threshold", {"count_threshold": 0.9}, [finding()], 0.5, False),
]


@pytest.mark.parametrize(
    ("config", "findings", "weight", "counted"),
    [c[1:] for c in CONFIG_CASES],
    ids=[c[0] for c in CONFIG_CASES],
)
def test_weigh_follows_the_configuration(
    config: dict, findings: list[Finding], weight: float, counted: bool
) -> None:
    (weakness,) = weigh(findings, EnsembleConfig(**config))
    assert weakness.weight == pytest.approx(weight)
    assert weakness.counted is counted


@pytest.mark.parametrize(
    "config",
    [
        {"tool_weights": {"semgrep": 1.5}},
        {"cwe_weights": {89: -0.1}},
        {"consensus": 0},
        {"partial_credit": 2},
        {"unknown": 1},
    ],
    ids=[
        "tool weight above 1",
        "negative CWE weight",
        "consensus 0",
        "partial credit 2",
        "unknown key",
    ],
)
def test_bad_configuration_is_refused(config: dict) -> None:
    with pytest.raises(ValidationError):
        EnsembleConfig(**config)


def test_grouping_keeps_separate_weaknesses_apart() -> None:
    groups = group_by_weakness(
        [
            finding(line=10),
            finding(line=40),  # same CWE further down: another weakness
            finding(cwe=78, line=10),  # another CWE class on the same line
            finding(path="other.py", line=10),  # another file
            finding(cwe=None, line=10),  # no CWE: stands alone
            finding(
                "depcheck",
                kind=Kind.SCA,
                package="PyYAML",
                vuln="GHSA-1",
                cwe=20,
                path="requirements.txt",
            ),
            finding(
                "osv",
                kind=Kind.SCA,
                package="pyyaml",
                vuln="ghsa-1",
                cwe=20,
                path="requirements.txt",
            ),
        ]
    )
    sizes = sorted(len(g) for g in groups)
    assert sizes == [1, 1, 1, 1, 1, 2]  # only the two reports of one advisory merged


def test_a_dependency_advisory_reported_by_two_tools_is_consensus() -> None:
    sca = {
        "kind": Kind.SCA,
        "package": "pyyaml",
        "vuln": "GHSA-1",
        "cwe": 20,
        "path": "requirements.txt",
    }
    (weakness,) = weigh([finding("depcheck", **sca), finding("trivy", **sca)], EnsembleConfig())
    assert weakness.counted and weakness.weight == 1.0 and weakness.kind is Kind.SCA


@pytest.fixture(scope="module")
def sample_scan():
    return Ensemble(advisories=AdvisoryDB.load(ADVISORIES)).scan(SAMPLE)


def test_scan_runs_every_tool_with_its_version(sample_scan) -> None:
    versions = {run.tool: run.tool_version for run in sample_scan.runs}
    assert set(versions) == {"semgrep", "bandit", "depcheck"}
    assert versions["semgrep"] and versions["bandit"]


# What the sample service holds on purpose (examples/sample_service/README.md), by file and CWE:
# the ensemble must count each one.
PLANTED = {
    ("app/db.py", 89),
    ("app/ops.py", 78),
    ("app/sessions.py", 502),
    ("app/views.py", 79),
    ("app/views.py", 94),
    ("app/views.py", 601),
    ("app/views.py", 22),
    ("app/views.py", 918),
    ("app/views.py", 295),
    ("app/crypto.py", 328),
    ("app/crypto.py", 330),
    ("app/settings.py", 798),
}


def test_scan_counts_every_planted_weakness(sample_scan) -> None:
    findings = [f for run in sample_scan.runs for f in run.findings]
    counted = {
        (f.path, c)
        for w in weigh(findings, EnsembleConfig())
        if w.counted
        for f in w.findings
        for c in f.cwe_ids
    }
    missing = {(path, cwe) for path, cwe in PLANTED if (path, cwe) not in counted}
    assert not missing
    assert all(f.path and not f.path.startswith(("/", "./")) for f in findings)
    assert {f.tool for f in findings if f.path == "requirements.txt"} == {"depcheck"}


def test_scan_does_not_flag_json_and_file_responses(sample_scan) -> None:
    """views.py returns dicts (JSON) on lines 13 and 48 and a file on line 37: not XSS."""
    xss_lines = {
        f.start_line
        for run in sample_scan.runs
        for f in run.findings
        if f.path == "app/views.py" and 79 in f.cwe_ids
    }
    assert not xss_lines & {13, 37, 48}


def test_scan_maps_findings_to_original_lines_after_simplifying(tmp_path: Path) -> None:
    """Semgrep scans a simplified copy; findings must point at the user's lines."""
    (tmp_path / "app.py").write_text(
        "import subprocess\n"
        "DEBUG = False\n"
        "\n"
        "def run(cmd):\n"
        "    if DEBUG:\n"
        "        print('debug')\n"
        "    return subprocess.run(cmd, shell=True)\n"
    )
    report = Ensemble().scan(tmp_path)
    semgrep = [f for run in report.runs if run.tool == "semgrep" for f in run.findings]
    assert [(f.path, f.start_line) for f in semgrep if 78 in f.cwe_ids] == [("app.py", 7)]


def test_scannable_files_walks_a_plain_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "requirements.txt").write_text("flask==2.0\n")
    (tmp_path / "README.md").write_text("# hi\n")
    for skipped in (".venv/lib", "node_modules/x", "__pycache__"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "m.py").write_text("x = 1\n")
    (tmp_path / "huge.py").write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 1))
    assert scannable_files(tmp_path) == ["pkg/mod.py", "requirements.txt"]


def test_scannable_files_follows_git_ignore(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "out.py").write_text("x = 1\n")
    (tmp_path / "main.py").write_text("x = 1\n")
    assert scannable_files(tmp_path) == ["main.py"]


def test_scan_without_advisories_warns_that_dependencies_were_not_checked(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pyyaml==5.3\n")
    report = Ensemble().scan(tmp_path)
    assert any("dependencies not checked" in w for w in report.warnings)
    assert not any(run.tool == "depcheck" for run in report.runs)


def test_a_broken_rule_pack_is_a_clear_scanner_error(tmp_path: Path) -> None:
    (tmp_path / "code.py").write_text("x = 1\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text("rules:\n  - id: broken\n    pattern: (\n")
    with pytest.raises(ScannerError, match="semgrep"):
        run_semgrep(tmp_path, rules=rules)


def test_files_that_do_not_parse_are_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "good.py").write_text(
        "import pickle\n\ndef load(data):\n    return pickle.loads(data)\n"
    )
    report = Ensemble().scan(tmp_path)
    paths = {f.path for run in report.runs for f in run.findings}
    assert "good.py" in paths
