"""Scanner health canaries: before anything trusts an engine, it must flag each known-
vulnerable canary and pass each known-safe one.

A scanner that fails open (a rule pack that did not load, a plugin that is not installed, an
engine that crashed into an empty report) finds nothing, and a reward built on it would call
every completion secure. `check_engines` runs every canary through each engine alone, as the
reward and the judges run it, and raises `CanaryFailure` naming the engine and the canary the
moment one misbehaves. Each canary is one small file with one weakness of a known CWE (or its
safe twin); a vulnerable canary is flagged when the engine reports that CWE on it, a safe one
passes when it does not.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.cwe import cwe_class
from detectors.dependencies import AdvisoryDB
from detectors.engines import Engine, run_engine
from detectors.ensemble import Ensemble
from detectors.scratch import scratch_directory


class Canary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    file: str  # the file name the engine reads (solution.py, requirements.txt)
    text: str
    cwe: int | None  # None: any finding counts (an advisory may name no CWE)
    vulnerable: bool


_SHELL_HANDLER = """\
import os

from flask import Flask, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    host = request.args.get("host", "")
    return str(os.system("ping -c 1 " + host))
"""
_SHELL_SAFE = """\
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    host = request.args.get("host", "")
    return subprocess.run(["ping", "-c", "1", "--", host], check=False).stdout
"""
_PICKLE = "import pickle\n\n\ndef load(data: bytes):\n    return pickle.loads(data)\n"
_JSON = "import json\n\n\ndef load(data: bytes):\n    return json.loads(data)\n"

CANARIES: dict[Engine, tuple[Canary, ...]] = {
    Engine.SEMGREP: (
        Canary(
            name="shell from a request", file="app.py", text=_SHELL_HANDLER, cwe=78, vulnerable=True
        ),
        Canary(name="argument list", file="app.py", text=_SHELL_SAFE, cwe=78, vulnerable=False),
    ),
    Engine.BANDIT: (
        Canary(name="pickle.loads", file="load.py", text=_PICKLE, cwe=502, vulnerable=True),
        Canary(name="json.loads", file="load.py", text=_JSON, cwe=502, vulnerable=False),
    ),
    Engine.DEPCHECK: (
        Canary(
            name="PyYAML 5.3",
            file="requirements.txt",
            text="pyyaml==5.3\n",
            cwe=None,
            vulnerable=True,
        ),
        Canary(
            name="PyYAML 6.0.1",
            file="requirements.txt",
            text="pyyaml==6.0.1\n",
            cwe=None,
            vulnerable=False,
        ),
    ),
    Engine.CODESHIELD: (
        Canary(
            name="os.system with input", file="run.py", text=_SHELL_HANDLER, cwe=78, vulnerable=True
        ),
        Canary(name="pickle.loads", file="load.py", text=_PICKLE, cwe=502, vulnerable=True),
        Canary(name="json.loads", file="load.py", text=_JSON, cwe=502, vulnerable=False),
    ),
    Engine.DLINT: (
        Canary(name="pickle.loads", file="load.py", text=_PICKLE, cwe=502, vulnerable=True),
        Canary(name="json.loads", file="load.py", text=_JSON, cwe=502, vulnerable=False),
    ),
}


class CanaryFailure(Exception):
    """An engine missed a vulnerable canary or flagged a safe one: it is not to be trusted."""


class CanaryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    engine: str
    canary: str
    vulnerable: bool
    flagged: bool

    @property
    def ok(self) -> bool:
        return self.flagged is self.vulnerable


class EngineHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    engine: str
    status: str  # ok, or off (depcheck with no advisory database: it checks nothing, and says so)
    results: list[CanaryResult]
    seconds: float


def _flagged(engine: Engine, canary: Canary, advisories: AdvisoryDB | None) -> bool:
    with scratch_directory("flywheel-canary-") as scratch:
        root = Path(scratch)
        (root / canary.file).write_text(canary.text, encoding="utf-8")
        if engine in (Engine.SEMGREP, Engine.BANDIT, Engine.DEPCHECK):
            report = Ensemble(advisories=advisories, engines=[engine]).scan(root, [canary.file])
        else:
            report = run_engine(engine, root, [canary.file])
    findings = [finding for run in report.runs for finding in run.findings]
    if canary.cwe is None:
        return bool(findings)
    wanted = cwe_class(canary.cwe)
    return any(cwe_class(cwe) == wanted for finding in findings for cwe in finding.cwe_ids)


def check_engines(
    engines: list[Engine], advisories: AdvisoryDB | None = None
) -> list[EngineHealth]:
    """Every canary through every engine; raises CanaryFailure at the first that misbehaves."""
    health = []
    for engine in engines:
        engine = Engine(engine)
        started = time.perf_counter()
        if engine == Engine.DEPCHECK and advisories is None:
            health.append(EngineHealth(engine=engine, status="off", results=[], seconds=0.0))
            continue
        results = []
        for canary in CANARIES[engine]:
            result = CanaryResult(
                engine=engine,
                canary=canary.name,
                vulnerable=canary.vulnerable,
                flagged=_flagged(engine, canary, advisories),
            )
            if not result.ok:
                what = "missed the vulnerable" if canary.vulnerable else "flagged the safe"
                raise CanaryFailure(
                    f"scanner health check failed: {engine} {what} canary {canary.name!r}"
                    f"{f' (CWE-{canary.cwe})' if canary.cwe else ''}; it cannot be trusted to judge code, so nothing is "
                    "trained or judged with it: fix the engine (rules loaded? plugin "
                    "installed?) and run again"
                )
            results.append(result)
        health.append(
            EngineHealth(
                engine=engine,
                status="ok",
                results=results,
                seconds=round(time.perf_counter() - started, 3),
            )
        )
    return health
