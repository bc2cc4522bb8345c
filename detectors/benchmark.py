"""Detectors scored against OWASP BenchmarkPython's ground truth.

Convention (the one ../shared/data/README.md uses, so figures compare): a test case counts as
flagged by a detector when the detector reports, in that file, a finding whose CWE matches the
case's CWE, with the usual equivalences (328~327/916, 330~338, 22~73, 79~80, 94~95, 611~776).
Precision, recall, F1 and Youden's index (TPR - FPR, the Benchmark's own score) are computed
over all cases, overall and per CWE.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.finding import Finding
from detectors.ensemble import EnsembleConfig, weigh
from ingest.errors import IngestError

_EQUIVALENT = ({327, 328, 916}, {330, 338}, {22, 73}, {79, 80}, {94, 95}, {611, 776})


def cwe_matches(expected: int, reported: int) -> bool:
    return expected == reported or any(
        expected in group and reported in group for group in _EQUIVALENT
    )


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    category: str
    vulnerable: bool
    cwe: int


class BenchmarkError(IngestError):
    """The benchmark folder is not OWASP BenchmarkPython's layout."""


def load_cases(root: Path) -> list[Case]:
    """The cases of `expectedresults-*.csv` under `root`, whose code is in `root/testcode`."""
    files = sorted(root.glob("expectedresults-*.csv"))
    if not files or not (root / "testcode").is_dir():
        raise BenchmarkError(
            root, "not an OWASP BenchmarkPython folder (expectedresults-*.csv and testcode/)"
        )
    cases = []
    with files[-1].open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].startswith("#"):
                continue
            try:
                cases.append(
                    Case(
                        name=row[0].strip(),
                        category=row[1].strip(),
                        vulnerable=row[2].strip() == "true",
                        cwe=int(row[3]),
                    )
                )
            except (IndexError, ValueError):
                raise BenchmarkError(
                    files[-1], f"line {number} is not `name,category,true|false,cwe`"
                ) from None
    return cases


class Metrics(BaseModel):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, vulnerable: bool, flagged: bool) -> None:
        if vulnerable:
            if flagged:
                self.tp += 1
            else:
                self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def youden(self) -> float:
        fpr = self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0
        return self.recall - fpr

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "youden": round(self.youden, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


class Score(BaseModel):
    overall: Metrics = Field(default_factory=Metrics)
    per_cwe: dict[int, Metrics] = Field(default_factory=lambda: defaultdict(Metrics))


def score_detector(cases: Iterable[Case], flagged_cwes: Callable[[str], set[int]]) -> Score:
    """Score one detector, given the CWEs it reported for each case's file."""
    score = Score()
    for case in cases:
        hit = any(cwe_matches(case.cwe, cwe) for cwe in flagged_cwes(case.name))
        score.overall.add(case.vulnerable, hit)
        score.per_cwe[case.cwe].add(case.vulnerable, hit)
    return score


def cwes_by_file(findings: Iterable[Finding]) -> dict[str, set[int]]:
    """Case name (the file's stem) -> every CWE reported in it."""
    found: dict[str, set[int]] = defaultdict(set)
    for finding in findings:
        if finding.path:
            found[Path(finding.path).stem].update(finding.cwe_ids)
    return found


class Evaluation(BaseModel):
    """The ensemble and each tool alone, overall and per CWE."""

    cases: int
    ensemble: Score
    tools: dict[str, Score]

    def as_dict(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "ensemble": self.ensemble.overall.as_dict(),
            "tools": {name: score.overall.as_dict() for name, score in sorted(self.tools.items())},
            "per_cwe": {
                str(cwe): {
                    "ensemble": metrics.as_dict(),
                    **{
                        name: score.per_cwe[cwe].as_dict()
                        for name, score in sorted(self.tools.items())
                    },
                }
                for cwe, metrics in sorted(self.ensemble.per_cwe.items())
            },
        }


def evaluate(cases: list[Case], findings: list[Finding], config: EnsembleConfig) -> Evaluation:
    """Score every tool alone (all it reports) and the ensemble (its counted weaknesses)."""
    tools: dict[str, Score] = {}
    by_tool: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_tool[finding.tool].append(finding)
    for tool, tool_findings in by_tool.items():
        flagged = cwes_by_file(tool_findings)
        tools[tool] = score_detector(cases, lambda name, flagged=flagged: flagged.get(name, set()))
    counted = [f for w in weigh(findings, config) if w.counted for f in w.findings]
    flagged = cwes_by_file(counted)
    ensemble = score_detector(cases, lambda name: flagged.get(name, set()))
    return Evaluation(cases=len(cases), ensemble=ensemble, tools=tools)
