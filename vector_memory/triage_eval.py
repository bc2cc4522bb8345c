"""How much reviewer work the label suggestions save, measured on OWASP BenchmarkPython.

Every test case is treated as a finding of its category, as a noisy high-recall scanner
would report it (base rate of true positives 0.37). Labels are hidden; a random 10%, 30% and
50% are revealed as reviewers' labels and the rest predicted, over several seeds:

- MCC of the suggestions on the hidden cases;
- review work saved at 30%: the dismissal threshold is chosen on the revealed labels only
  (out-of-fold probabilities, keeping >= 95% of their true positives), then the share of the
  hidden false positives below it is what reviewers no longer see (and the share of hidden
  true positives kept is reported next to it, not assumed);
- labels needed to reach MCC 0.5, reviewing in active-learning order vs random order.

A finding's features come from the ensemble's scan of the case (how many tools report the
case's weakness class there, whether a taint rule connects a source to the sink, severity) and
its embedding from the handler code; nothing keys on file names or routes.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean

import numpy as np
from pydantic import BaseModel, ConfigDict

from core.cwe import cwe_name
from core.finding import Finding
from detectors.benchmark import Case, cwe_matches
from detectors.ensemble import EnsembleConfig, weigh
from vector_memory.embedder import Embedder
from vector_memory.label_model import (
    SEVERITY_RANK,
    Features,
    LabelModel,
    dismissal_threshold,
    mcc,
    review_priority,
)
from vector_memory.text import fold

FRACTIONS = (0.1, 0.3, 0.5)
START_LABELS = 10
STEP = 10


class TriageData(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)  # numpy arrays

    cases: list[Case]
    embeddings: np.ndarray
    features: np.ndarray
    severities: list[str]

    @property
    def truth(self) -> np.ndarray:
        return np.asarray([c.vulnerable for c in self.cases], dtype=int)


def build(cases: list[Case], code: dict[str, str], findings: list[Finding], embedder: Embedder):
    """Embeddings and features of each case."""
    by_file: dict[str, list] = {}
    for weakness in weigh(findings, EnsembleConfig()):
        for finding in weakness.findings:
            name = Path(finding.path or "").stem
            by_file.setdefault(name, []).append((weakness, finding))
    texts, features, severities = [], [], []
    for case in cases:
        matching = [
            (w, f)
            for w, f in by_file.get(case.name, [])
            if any(cwe_matches(case.cwe, c) for c in f.cwe_ids)
        ]
        tools = {f.tool for _, f in matching}
        severity = max(
            (f.severity.value for _, f in matching),
            key=lambda s: SEVERITY_RANK.get(s, 0),
            default="medium",
        )
        confidence = next((f.confidence for _, f in matching if f.confidence), None)
        taint = any(w.counted and f.tool == "semgrep" for w, f in matching)
        features.append(
            Features(
                tool_agreement=len(tools),
                severity=severity,
                confidence=confidence,
                taint_path=taint,
                rule=case.category,
                cwe=case.cwe,
            ).vector()
        )
        severities.append(severity)
        head = f"{case.category} | {cwe_name(case.cwe)}"
        texts.append(f"{head}\n{fold(code.get(case.name, ''))}"[:900])
    return TriageData(
        cases=cases,
        embeddings=embedder.embed(texts),
        features=np.vstack(features),
        severities=severities,
    )


def _out_of_fold(model: LabelModel, data: TriageData, idx: np.ndarray, folds: int = 5):
    truth = data.truth[idx]
    probs = np.zeros(len(idx))
    order = np.arange(len(idx))
    for fold_index in range(folds):
        test = order % folds == fold_index
        model.fit(data.embeddings[idx[~test]], data.features[idx[~test]], truth[~test])
        probs[test] = model.predict_proba(data.embeddings[idx[test]], data.features[idx[test]])
    return probs


def _run_fraction(data: TriageData, fraction: float, seed: int, use_features: bool):
    rng = np.random.default_rng(seed)
    n = len(data.cases)
    order = rng.permutation(n)
    revealed, hidden = order[: int(fraction * n)], order[int(fraction * n) :]
    model = LabelModel(use_features=use_features)
    model.fit(data.embeddings[revealed], data.features[revealed], data.truth[revealed])
    p = model.predict_proba(data.embeddings[hidden], data.features[hidden])
    truth = data.truth[hidden]
    score = mcc(truth, p >= 0.5)
    threshold = dismissal_threshold(_out_of_fold(model, data, revealed), data.truth[revealed])
    dismissed = p < threshold
    fps, tps = truth == 0, truth == 1
    return {
        "mcc": score,
        "fp_dismissed": float(dismissed[fps].mean()) if fps.any() else 0.0,
        "tp_kept": float((~dismissed[tps]).mean()) if tps.any() else 1.0,
    }


def labels_to_reach(data: TriageData, seed: int, active: bool, target: float = 0.5) -> int | None:
    """Labels reviewed (START_LABELS at random, then STEP at a time) until the MCC on the
    rest reaches `target`; None when it never does."""
    rng = np.random.default_rng(seed)
    n = len(data.cases)
    labelled = list(rng.permutation(n)[:START_LABELS])
    while len(labelled) < n - STEP:
        rest = np.setdiff1d(np.arange(n), labelled)
        model = LabelModel().fit(
            data.embeddings[labelled], data.features[labelled], data.truth[labelled]
        )
        p = model.predict_proba(data.embeddings[rest], data.features[rest])
        if mcc(data.truth[rest], p >= 0.5) >= target:
            return len(labelled)
        if active:
            priority = review_priority(p, [data.severities[i] for i in rest])
            picked = rest[np.argsort(-priority, kind="stable")[:STEP]]
        else:
            picked = rng.choice(rest, size=STEP, replace=False)
        labelled.extend(int(i) for i in picked)
    return None


def evaluate(data: TriageData, seeds: int = 5) -> dict:
    result: dict = {"cases": len(data.cases), "base_rate": float(data.truth.mean())}
    for use_features, name in ((True, "model"), (False, "embeddings_only")):
        figures = {}
        for fraction in FRACTIONS:
            runs = [_run_fraction(data, fraction, s, use_features) for s in range(seeds)]
            label = int(fraction * 100)
            figures[f"mcc_at_{label}"] = round(mean(r["mcc"] for r in runs), 4)
            figures[f"fp_dismissed_at_{label}"] = round(mean(r["fp_dismissed"] for r in runs), 4)
            figures[f"tp_kept_at_{label}"] = round(mean(r["tp_kept"] for r in runs), 4)
        result[name] = figures
    for active in (True, False):
        counts = [labels_to_reach(data, s, active) for s in range(seeds)]
        reached = [c for c in counts if c is not None]
        key = "labels_to_mcc_05_" + ("active" if active else "random")
        result[key] = int(np.median(reached)) if len(reached) == len(counts) else None
        result[key + "_runs"] = counts
    return result
