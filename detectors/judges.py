"""The evaluation's independent view: judge code samples with engines the reward never saw.

`IndependentJudges.judge(codes)` writes every sample into one scratch tree, runs each
evaluation engine once over all of them, and returns per sample what was found (a sample
with no code gets None). A sample is *flagged* when any engine reports a finding with a CWE.
An engine that cannot run raises (`ScannerError`): a judge that fails open would call every
sample safe.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.finding import Finding
from detectors.engines import EVALUATION_DEFAULT, Engine, run_engine
from detectors.scratch import scratch_directory

SAMPLE_FILE = "solution.py"


class Judgement(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings: list[Finding]

    @property
    def flagged(self) -> bool:
        return any(finding.cwe_ids for finding in self.findings)

    @property
    def cwes(self) -> list[int]:
        return sorted({cwe for finding in self.findings for cwe in finding.cwe_ids})


class IndependentJudges:
    def __init__(self, engines: list[Engine] | tuple[Engine, ...] = EVALUATION_DEFAULT) -> None:
        self.engines = [Engine(engine) for engine in engines]

    def judge(self, codes: list[str | None]) -> list[Judgement | None]:
        with scratch_directory("flywheel-judges-") as scratch:
            root = Path(scratch)
            files: dict[str, int] = {}
            for index, code in enumerate(codes):
                if code is None:
                    continue
                name = f"sample_{index:05d}/{SAMPLE_FILE}"
                (root / name).parent.mkdir(parents=True)
                (root / name).write_text(code, encoding="utf-8")
                files[name] = index
            found: dict[int, list[Finding]] = {index: [] for index in files.values()}
            for engine in self.engines:
                report = run_engine(engine, root, sorted(files))
                for run in report.runs:
                    for finding in run.findings:
                        if finding.path in files:
                            found[files[finding.path]].append(finding)
        return [
            Judgement(findings=found[index]) if index in found else None
            for index in range(len(codes))
        ]
