"""Held-out check of the scanner ensemble on code it was not tuned on.

The rules were tuned on OWASP BenchmarkPython, whose files all look alike. The corpus in
tests/fixtures/heldout (see its README) was written without looking at the rules, in other
styles: Django, DRF, FastAPI, Flask blueprints, CLIs, workers, library helpers; half of it is
safe code that looks like the vulnerable half. It is scored with the Benchmark's convention
(`detectors.benchmark`), and the test asserts floors a little below what was measured,
so a regression in generalization fails here. Run with `-s` to see the table of misses.
"""

from __future__ import annotations

import ast
import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.finding import Finding
from detectors.benchmark import Case, Evaluation, cwe_matches, cwes_by_file, evaluate
from detectors.ensemble import Ensemble, EnsembleConfig, Weakness, weigh

HELDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "heldout"
CASES = HELDOUT / "cases"
LABELS = HELDOUT / "labels.csv"

# Floors, a little below what was measured on 2026-11-21 (104 cases, 55 vulnerable, 49 safe):
#   ensemble  precision 0.9245  recall 0.8909  F1 0.9074  Youden 0.8093  (tp 49 fp 4 fn 6 tn 45)
#   safe files with no counted finding of any CWE: 42/49 = 0.857
# Raise them when the rules improve; lower them only for a reason written here.
FLOORS = {"precision": 0.86, "recall": 0.83, "f1": 0.85, "youden": 0.74}
CLEAN_SAFE_FLOOR = 0.78


@dataclass
class HeldOut:
    cases: list[Case]
    notes: dict[str, str]  # case name -> what the case is about
    evaluation: Evaluation
    weaknesses: dict[str, list[Weakness]]  # case name -> what the ensemble weighed there

    def counted_cwes(self, name: str) -> set[int]:
        counted = (f for w in self.weaknesses.get(name, []) if w.counted for f in w.findings)
        return cwes_by_file(counted).get(name, set())


def load_labels() -> tuple[list[Case], dict[str, str]]:
    cases, notes = [], {}
    with LABELS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["vulnerable"] in {"true", "false"}, row
            name = Path(row["file"]).stem
            cwe = int(row["cwe"])
            cases.append(
                Case(
                    name=name,
                    category=f"CWE-{cwe}",
                    vulnerable=row["vulnerable"] == "true",
                    cwe=cwe,
                )
            )
            notes[name] = row["note"]
    return cases, notes


@pytest.fixture(scope="module")
def heldout() -> HeldOut:
    """The whole corpus scanned once, weighed and scored."""
    cases, notes = load_labels()
    files = sorted(path.name for path in CASES.glob("*.py"))
    report = Ensemble().scan(CASES, files)
    findings = [f for run in report.runs for f in run.findings]
    config = EnsembleConfig()
    by_case: dict[str, list[Weakness]] = defaultdict(list)
    for weakness in weigh(findings, config):
        path = weakness.findings[0].path
        if path:
            by_case[Path(path).stem].append(weakness)
    for weaknesses in by_case.values():
        weaknesses.sort(key=lambda w: min(f.start_line or 0 for f in w.findings))
    return HeldOut(cases, notes, evaluate(cases, findings, config), dict(by_case))


def _describe(finding: Finding) -> str:
    rule = finding.rule_id.rsplit(".", 1)[-1]
    cwes = "/".join(str(c) for c in finding.cwe_ids) or "-"
    return (
        f"{finding.tool}:{rule} CWE-{cwes} L{finding.start_line} "
        f"{finding.severity.value}/{finding.confidence or '-'}"
    )


def _describe_weakness(weakness: Weakness) -> str:
    verdict = "counted" if weakness.counted else "not counted"
    members = " + ".join(_describe(f) for f in weakness.findings)
    return f"[{verdict}, weight {weakness.weight:.2f}] {members}"


def _matches(case: Case, weakness: Weakness) -> bool:
    return any(cwe_matches(case.cwe, c) for f in weakness.findings for c in f.cwe_ids)


def _metrics_line(label: str, metrics: dict[str, float | int]) -> str:
    return (
        f"  {label:<9} precision {metrics['precision']:.3f}  recall {metrics['recall']:.3f}  "
        f"F1 {metrics['f1']:.3f}  Youden {metrics['youden']:.3f}  "
        f"(tp {metrics['tp']} fp {metrics['fp']} fn {metrics['fn']} tn {metrics['tn']})"
    )


def render(result: HeldOut) -> str:
    """The figures, the per-CWE table, every miss and every off-target counted finding."""
    vulnerable = sum(c.vulnerable for c in result.cases)
    lines = [
        f"held-out corpus: {len(result.cases)} cases "
        f"({vulnerable} vulnerable, {len(result.cases) - vulnerable} safe)",
        _metrics_line("ensemble", result.evaluation.ensemble.overall.as_dict()),
    ]
    for tool, score in sorted(result.evaluation.tools.items()):
        lines.append(_metrics_line(f"{tool} alone", score.overall.as_dict()))
    safe = [c.name for c in result.cases if not c.vulnerable]
    clean = sum(not result.counted_cwes(name) for name in safe)
    lines.append(f"  safe files with no counted finding of any CWE: {clean}/{len(safe)}")
    lines += ["", "per CWE (ensemble):", "  CWE    vuln safe   tp fp fn tn  recall   FPR  Youden"]
    for cwe, m in sorted(result.evaluation.ensemble.per_cwe.items()):
        fpr = m.fp / (m.fp + m.tn) if m.fp + m.tn else 0.0
        lines.append(
            f"  {cwe:<6} {m.tp + m.fn:>4} {m.fp + m.tn:>4}  {m.tp:>3} {m.fp:>2} {m.fn:>2} "
            f"{m.tn:>2}  {m.recall:6.2f} {fpr:5.2f} {m.youden:7.2f}"
        )
    misses, off_target = [], []
    for case in result.cases:
        weaknesses = result.weaknesses.get(case.name, [])
        flagged = any(w.counted and _matches(case, w) for w in weaknesses)
        head = f"  {case.name}  CWE-{case.cwe:<5} {result.notes[case.name]}"
        if case.vulnerable and not flagged:
            # Everything reported in the file: a rule that fired but was weighed out, or one
            # that reported the flaw under a CWE the convention does not match, shows here.
            seen = [_describe_weakness(w) for w in weaknesses] or ["nothing reported"]
            misses.append(f"FN{head}\n" + "\n".join(f"        {line}" for line in seen))
        elif not case.vulnerable and flagged:
            seen = [_describe_weakness(w) for w in weaknesses if w.counted and _matches(case, w)]
            misses.append(f"FP{head}\n" + "\n".join(f"        {line}" for line in seen))
        for weakness in weaknesses:
            if weakness.counted and not _matches(case, weakness):
                kind = "vulnerable" if case.vulnerable else "safe"
                off_target.append(
                    f"  {case.name}  ({kind}, CWE-{case.cwe})  {_describe_weakness(weakness)}"
                )
    lines += ["", f"misses ({len(misses)}):", *(misses or ["  none"])]
    lines += [
        "",
        f"off-target counted findings, not scored ({len(off_target)}):",
        *(off_target or ["  none"]),
    ]
    return "\n".join(lines)


def test_labels_describe_every_case():
    cases, notes = load_labels()
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "a case is labelled twice"
    on_disk = {path.stem for path in CASES.glob("*.py")}
    assert set(names) == on_disk, (
        f"unlabelled: {sorted(on_disk - set(names))}; missing: {sorted(set(names) - on_disk)}"
    )
    for case in cases:
        text = (CASES / f"{case.name}.py").read_text(encoding="utf-8")
        ast.parse(text, filename=f"{case.name}.py", feature_version=(3, 11))
        assert notes[case.name], f"{case.name} has no note"
        # Suppressions or give-away comments would make the corpus measure nothing.
        lowered = text.lower()
        for marker in ("nosec", "nosemgrep", "# vulnerable", "# safe", "# insecure", "cwe-"):
            assert marker not in lowered, f"{case.name} contains {marker!r}"
    by_cwe: dict[int, set[bool]] = defaultdict(set)
    for case in cases:
        by_cwe[case.cwe].add(case.vulnerable)
    lopsided = sorted(cwe for cwe, kinds in by_cwe.items() if kinds != {True, False})
    assert not lopsided, f"CWEs without both a vulnerable and a safe case: {lopsided}"


def test_ensemble_generalizes_to_held_out_code(heldout: HeldOut):
    table = render(heldout)
    print("\n" + table)
    overall = heldout.evaluation.ensemble.overall.as_dict()
    below = {
        name: (overall[name], floor) for name, floor in FLOORS.items() if overall[name] < floor
    }
    assert not below, f"below the floor (measured, floor): {below}\n{table}"


def test_safe_files_stay_clean(heldout: HeldOut):
    """Stricter than the Benchmark convention: a safe file with a counted finding of any CWE
    is a false alarm for whoever reads the report."""
    safe = [c for c in heldout.cases if not c.vulnerable]
    dirty = {c.name: sorted(heldout.counted_cwes(c.name)) for c in safe}
    dirty = {name: cwes for name, cwes in dirty.items() if cwes}
    clean = 1 - len(dirty) / len(safe)
    assert clean >= CLEAN_SAFE_FLOOR, (
        f"{len(safe) - len(dirty)}/{len(safe)} safe files clean ({clean:.3f}) < "
        f"{CLEAN_SAFE_FLOOR}; counted CWEs in safe files: {dirty}"
    )
