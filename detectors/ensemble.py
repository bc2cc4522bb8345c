"""The ensemble: Semgrep (our rule pack), Bandit and the dependency check, weighed together.

One scanner is narrow and easy to game; the ensemble scans with all three, groups what they
report into weaknesses (the same CWE class at overlapping lines of one file, or the same
advisory for one package) and weighs each weakness with `EnsembleConfig`:

- a finding below `min_confidence` (audit rules) does not count;
- a weakness counts fully when `consensus` tools report it, or when one reports it at
  `full_severity` or above with `full_confidence`;
- otherwise it counts `partial_credit`;
- times the weight of the most trusted tool that reports it, times its CWE's weight.

A weakness whose weight reaches `count_threshold` is *counted*: it makes code vulnerable for
the label taxonomy, the detector evaluation and the reward. The defaults trust our taint rules
at any severity, and Bandit alone only for its high-severity, high-confidence findings.
"""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.cwe import primary_cwe_class
from core.finding import Finding, Kind, ParsedReport
from core.severity import Severity
from detectors.bandit_runner import run_bandit
from detectors.dependencies import AdvisoryDB, check_dependencies
from detectors.semgrep_runner import RULES, run_semgrep
from detectors.shadow import normalized_copy
from detectors.suppressions import mark_suppressions

ConfidenceLevel = Literal["low", "medium", "high"]
_CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}
# Files the ensemble reads: code for Semgrep/Bandit, and what declares dependencies.
CODE_SUFFIXES = (".py",)
DEPENDENCY_FILES = ("requirements", "pyproject.toml", "Pipfile", "Dockerfile")
DEPENDENCY_SUFFIXES = (".txt", ".in", ".toml", ".sh", ".cfg")
SKIPPED_DIRECTORIES = {
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    "site-packages",
    ".eggs",
}
MAX_FILE_BYTES = 1_000_000


class EnsembleConfig(BaseModel):
    """How the three tools' findings add up to "this code is vulnerable"."""

    model_config = ConfigDict(extra="forbid")

    tool_weights: dict[str, float] = Field(
        default_factory=lambda: {"semgrep": 1.0, "bandit": 0.6, "depcheck": 1.0}
    )
    default_tool_weight: float = Field(0.5, ge=0, le=1)
    consensus: int = Field(2, ge=1, description="tools that must agree for full weight")
    full_severity: Severity = Severity.HIGH
    full_confidence: ConfidenceLevel = "high"
    partial_credit: float = Field(0.5, ge=0, le=1)
    min_confidence: ConfidenceLevel = "medium"
    count_threshold: float = Field(0.5, gt=0, le=1)
    cwe_weights: dict[int, float] = Field(default_factory=dict)
    honor_suppressions: bool = Field(
        True,
        description="leave out findings a `# nosec` / `# nosemgrep` comment suppresses "
        "(the reward does not: a model must not learn that a comment makes code secure)",
    )

    @field_validator("tool_weights", "cwe_weights")
    @classmethod
    def _weights_in_range(cls, value: dict) -> dict:
        for key, weight in value.items():
            if not 0 <= weight <= 1:
                raise ValueError(f"weight {weight} for {key!r} is outside [0, 1]")
        return value


class Weakness(BaseModel):
    """What one or more tools reported about one weakness in one place."""

    findings: list[Finding]
    weight: float
    counted: bool

    @property
    def tools(self) -> set[str]:
        return {f.tool for f in self.findings}

    @property
    def kind(self) -> Kind:
        return Kind.SCA if any(f.kind is Kind.SCA for f in self.findings) else self.findings[0].kind

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def cwe_ids(self) -> list[int]:
        return list(dict.fromkeys(c for f in self.findings for c in f.cwe_ids))


def weigh(findings: Iterable[Finding], config: EnsembleConfig) -> list[Weakness]:
    """Group findings into weaknesses and weigh each one (see the module docstring)."""
    weaknesses = []
    if config.honor_suppressions:
        findings = [f for f in findings if not f.suppressed]
    for group in group_by_weakness(findings):
        countable = [f for f in group if _confidence(f) >= _CONFIDENCE_RANK[config.min_confidence]]
        weight = 0.0
        if countable:
            agreeing = len({f.tool for f in countable})
            for finding in countable:
                full = agreeing >= config.consensus or (
                    finding.severity.rank >= config.full_severity.rank
                    and _confidence(finding) >= _CONFIDENCE_RANK[config.full_confidence]
                )
                tool_weight = config.tool_weights.get(finding.tool, config.default_tool_weight)
                weight = max(weight, tool_weight * (1.0 if full else config.partial_credit))
            cwes = [c for f in countable for c in f.cwe_ids]
            if cwes:
                weight *= min(config.cwe_weights.get(c, 1.0) for c in cwes)
        weaknesses.append(
            Weakness(
                findings=group, weight=round(weight, 6), counted=weight >= config.count_threshold
            )
        )
    return weaknesses


def _confidence(finding: Finding) -> int:
    # Tools that rate no confidence (SARIF from elsewhere, dependency advisories) count as medium.
    return _CONFIDENCE_RANK.get(finding.confidence or "medium", 1)


def group_by_weakness(findings: Iterable[Finding]) -> list[list[Finding]]:
    """Findings on the same weakness: dependencies by package and advisory; code by path, CWE
    class and overlapping lines; findings without a CWE stand alone."""
    singles: list[list[Finding]] = []
    by_key: dict[tuple[object, ...], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.kind is Kind.SCA and finding.package:
            advisory = (finding.vuln_ids[0] if finding.vuln_ids else finding.rule_id).upper()
            by_key[("sca", finding.path, finding.package.lower(), advisory)].append(finding)
        elif finding.path and finding.cwe_ids:
            by_key[("code", finding.path, primary_cwe_class(finding.cwe_ids))].append(finding)
        else:
            singles.append([finding])
    groups = list(singles)
    for key, members in by_key.items():
        if key[0] == "sca":
            groups.append(members)
            continue
        # Merge overlapping line ranges (a tool may report a statement's first or last line).
        members.sort(key=lambda f: (f.start_line or 0, f.end_line or 0))
        current: list[Finding] = []
        current_end = -1
        for finding in members:
            start = finding.start_line or 0
            end = finding.end_line or start
            if current and start <= current_end:
                current.append(finding)
                current_end = max(current_end, end)
            else:
                if current:
                    groups.append(current)
                current, current_end = [finding], end
        if current:
            groups.append(current)
    return groups


class Ensemble:
    """Runs the three scanners over files of one folder."""

    def __init__(
        self,
        advisories: AdvisoryDB | None = None,
        rules: Path = RULES,
        simplified: bool = True,
        jobs: int | None = None,
        engines: Iterable[str] = ("semgrep", "bandit", "depcheck"),
    ) -> None:
        self.advisories = advisories
        self.rules = rules
        self.simplified = simplified
        self.jobs = jobs
        self.engines = frozenset(engines)

    def scan(self, root: Path, files: Iterable[str] | None = None) -> ParsedReport:
        """One report with a run per tool (paths relative to `root`)."""
        root = Path(root)
        names = sorted(set(files)) if files is not None else scannable_files(root)
        code = [n for n in names if n.endswith(CODE_SUFFIXES)]
        report = ParsedReport(format="ensemble")
        with normalized_copy(root, code, normalize=self.simplified) as tree:
            if "semgrep" in self.engines:
                semgrep = run_semgrep(tree, rules=self.rules, jobs=self.jobs)
                report.runs.extend(semgrep.runs)
                report.warnings.extend(semgrep.warnings)
            if "bandit" in self.engines:
                report.runs.extend(run_bandit(tree, code).runs)
        mark_suppressions((f for run in report.runs for f in run.findings), root)
        if "depcheck" in self.engines:
            self._check_dependencies(root, names, report)
        return report

    def _check_dependencies(self, root: Path, names: list[str], report: ParsedReport) -> None:
        if self.advisories is not None:
            texts = {}
            for name in names:
                if _declares_dependencies(name):
                    try:
                        texts[name] = (root / name).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        continue
            dependencies = check_dependencies(texts, self.advisories)
            report.runs.extend(dependencies.runs)
            report.warnings.extend(dependencies.warnings)
        else:
            report.warnings.append(
                "no advisory database configured (FLYWHEEL_ADVISORY_DB): dependencies not checked"
            )


def _declares_dependencies(name: str) -> bool:
    base = PurePosixPath(name).name
    return (
        name.endswith(CODE_SUFFIXES)
        or base.startswith(DEPENDENCY_FILES)
        or base.endswith(DEPENDENCY_SUFFIXES)
    )


def scannable_files(root: Path) -> list[str]:
    """The files under `root` the ensemble reads: what git tracks when `root` is a checkout,
    else every file outside dependency and build folders; large files are left out."""
    names = _git_files(root)
    if names is None:
        names = []
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRECTORIES]
            for file in files:
                names.append(str(PurePosixPath(Path(directory, file).relative_to(root))))
    selected = []
    for name in names:
        if not (name.endswith(CODE_SUFFIXES) or _declares_dependencies(name)):
            continue
        try:
            if (root / name).stat().st_size <= MAX_FILE_BYTES:
                selected.append(name)
        except OSError:
            continue
    return sorted(selected)


def _git_files(root: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [name for name in out.stdout.decode("utf-8", "replace").split("\0") if name]
