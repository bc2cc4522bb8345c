"""Score code samples with the ensemble: many at once, one Semgrep process per batch.

A sample is code (or a raw completion) plus optional metadata: language, the prompt, unit
tests, the size the task needs. `Scorer.score` writes the batch into one temporary tree, runs
Semgrep once and Bandit once over it, checks declared dependencies, maps every finding back to
its sample, and returns per sample its findings, the label taxonomy (clean, static-vulnerable,
dependency-vulnerable, both) and a reward in [0, 1] (see `training.rewards`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.finding import Finding, Kind
from detectors.dependencies import AdvisoryDB
from detectors.ensemble import Ensemble, Weakness, weigh
from detectors.scratch import scratch_directory
from sandbox.unit_tests import TestOutcome, run_unit_tests_many
from training.completions import (
    code_stats,
    completion_text,
    extract_code,
    is_refusal,
    is_truncated,
)
from training.reward_config import RewardConfig

Label = Literal["clean", "static-vulnerable", "dependency-vulnerable", "both"]
# The file a sample is written to, by language: what the scanners expect to read.
_FILE_NAMES = {
    "python": "solution.py",
    "requirements": "requirements.txt",
    "pip-requirements": "requirements.txt",
    "toml": "pyproject.toml",
}


class Sample(BaseModel):
    """Code to score. `completion` keeps the raw model output when there was one."""

    model_config = ConfigDict(extra="forbid")

    code: str | None
    language: str = "python"
    prompt: str | None = None
    tests: str | None = None
    expected_lines: int | None = Field(None, ge=1)
    refusal: bool = False
    truncated: bool = False  # the completion stopped inside a code fence
    id: str | None = None

    @classmethod
    def from_completion(cls, completion: Any, **metadata: Any) -> Sample:
        """A sample from a TRL completion: a string, or a list of chat messages."""
        text = completion_text(completion)
        language = metadata.get("language") or "python"
        code = extract_code(text, language)
        return cls(
            code=code,
            refusal=code is None and is_refusal(text),
            truncated=is_truncated(text),
            **metadata,
        )


class Score(BaseModel):
    """What the ensemble found in one sample, and what it is worth."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    findings: list[Finding]
    counted: list[list[Finding]]  # the weaknesses that make the sample vulnerable
    label: Label
    reward: float  # functionality x size x security
    security: float
    functionality: float
    size: float
    parses: bool | None
    outcome: str  # scored, refusal, empty, unparseable, trivial, truncated, tampered
    tests: TestOutcome | None = None


class Scorer:
    """Scores batches of samples; loads the advisory database once."""

    def __init__(self, config: RewardConfig | None = None) -> None:
        self.config = config or RewardConfig()
        advisories = (
            AdvisoryDB.load(Path(self.config.advisory_db)) if self.config.advisory_db else None
        )
        self.ensemble = Ensemble(advisories=advisories, engines=self.config.engines)

    def scan(self, samples: list[Sample]) -> list[list[Finding]]:
        """The ensemble's findings per sample, from ONE scan of the whole batch."""
        per_sample: dict[int, list[Finding]] = defaultdict(list)
        with scratch_directory("flywheel-score-") as folder:
            root = Path(folder)
            files = []
            for index, sample in enumerate(samples):
                if not sample.code:
                    continue
                name = f"s{index:05d}/{_FILE_NAMES.get(sample.language, 'solution.txt')}"
                (root / name).parent.mkdir()
                (root / name).write_text(sample.code, encoding="utf-8")
                files.append(name)
            report = self.ensemble.scan(root, files)
        for run in report.runs:
            for finding in run.findings:
                head = (finding.path or "").split("/", 1)[0]
                if head.startswith("s") and head[1:].isdigit():
                    per_sample[int(head[1:])].append(finding)
        return [per_sample[i] for i in range(len(samples))]

    def score(self, samples: list[Sample]) -> list[Score]:
        config = self.config
        findings = self.scan(samples)
        with_tests = [
            i
            for i, s in enumerate(samples)
            if s.tests
            and s.code
            and s.language == "python"
            and code_stats(s.code, s.language).parses is not False
        ]
        outcomes = dict(
            zip(
                with_tests,
                run_unit_tests_many(
                    [(samples[i].code or "", samples[i].tests or "") for i in with_tests],
                    timeout_s=config.test_timeout_s,
                    memory_mb=config.test_memory_mb,
                ),
                strict=True,
            )
        )
        return [
            self._score_one(sample, findings[i], outcomes.get(i))
            for i, sample in enumerate(samples)
        ]

    def _score_one(
        self, sample: Sample, findings: list[Finding], tests: TestOutcome | None
    ) -> Score:
        config = self.config
        weaknesses = weigh(findings, config.ensemble)
        counted = [w for w in weaknesses if w.counted]
        label = _label(counted)
        security = config.security(counted)

        def result(
            outcome: str,
            functionality: float = 0.0,
            size: float = 0.0,
            parses: bool | None = None,
        ) -> Score:
            # Multiplicative: security counts only in code that works and has its size.
            reward = functionality * size * security
            return Score(
                findings=findings,
                counted=[w.findings for w in counted],
                label=label,
                reward=round(max(0.0, min(1.0, reward)), 6),
                security=round(security, 6),
                functionality=round(functionality, 6),
                size=round(size, 6),
                parses=parses,
                outcome=outcome,
                tests=tests,
            )

        if sample.refusal:
            return result("refusal")
        if not sample.code or not sample.code.strip():
            return result("empty")
        stats = code_stats(sample.code, sample.language)
        if stats.parses is False:
            return result("unparseable", parses=False)
        if sample.truncated:
            return result("truncated", parses=stats.parses)
        if stats.is_trivial:
            return result("trivial", parses=stats.parses)
        lines = [line.strip() for line in sample.code.splitlines() if line.strip()]
        size = config.size_factor(len(set(lines)), len(lines), sample.expected_lines)
        functionality = 1.0
        if tests is not None:
            if tests.tampered:
                return result("tampered", parses=stats.parses)
            functionality = tests.pass_rate
        return result("scored", functionality, size, stats.parses)


def _label(counted: list[Weakness]) -> Label:
    static = any(w.kind is not Kind.SCA for w in counted)
    dependency = any(w.kind is Kind.SCA for w in counted)
    if static and dependency:
        return "both"
    if static:
        return "static-vulnerable"
    if dependency:
        return "dependency-vulnerable"
    return "clean"


def score(samples: list[Sample], config: RewardConfig | None = None) -> list[Score]:
    """Score a batch (see `Scorer` to keep the advisory database loaded across batches)."""
    return Scorer(config).score(samples)
