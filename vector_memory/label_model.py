"""Label suggestions learned from reviewers' labels, and the order in which to review.

A suggestion is P(true positive) for an unlabelled finding, from a small classifier refit as
labels arrive: logistic regression over the finding's embedding and its features (how many
tools agree, severity, confidence, whether a taint path reaches the sink, rule and CWE). With
too few labels of either kind it falls back to a similarity-weighted k-NN vote, and with none
to "no suggestion". Suggestions are marked as such and never become labels by themselves.

Review priority (active learning): the least certain first, weighted by severity, so each
human label teaches the model the most where a miss costs the most.

Features carry the signal embeddings lack: on OWASP BenchmarkPython true and false positives
look alike (same handlers, same sinks); they differ in whether tainted data reaches the sink,
which the ensemble's taint rules decide (docs/triage-eval.md).
"""

from __future__ import annotations

import hashlib

import numpy as np
from pydantic import BaseModel, ConfigDict

from core.severity import Severity
from core.verdict import Verdict

SEVERITY_RANK = {severity.value: severity.rank for severity in Severity}
CONFIDENCE_RANK = {"high": 2, "medium": 1, "low": 0}
SEVERITY_WEIGHT = {"critical": 1.0, "high": 0.85, "medium": 0.6, "low": 0.4, "info": 0.2}
_RULE_BUCKETS = 32
_CWE_BUCKETS = 16


class Suggestion(BaseModel):
    """A suggested label and review priority for an open, unlabelled finding. Never a label:
    reviewers decide; the workbench shows it as a suggestion and the queue orders by it."""

    model_config = ConfigDict(frozen=True)

    finding_id: int
    priority: float  # higher: review sooner
    suggested_label: Verdict | None = None  # None: no labels to learn from yet
    confidence: float | None = None  # max(p, 1 - p)
    p_true: float | None = None
    method: str = "none"  # classifier | knn | none
    severity: Severity | None = None
    rule_id: str | None = None
    suggestion: bool = True  # marks the record as a suggestion wherever it is exported


class Features(BaseModel):
    """What is known about a finding besides its text."""

    model_config = ConfigDict(frozen=True)

    tool_agreement: int  # tools in its cross-tool group
    severity: str
    confidence: str | None
    taint_path: bool  # a dataflow from a source reaches the sink (tool trace or our rules)
    rule: str
    cwe: int | None

    def vector(self) -> np.ndarray:
        head = [
            min(self.tool_agreement, 4) / 4,
            SEVERITY_RANK.get(self.severity, 2) / 4,
            CONFIDENCE_RANK.get(self.confidence or "medium", 1) / 2,
            float(self.taint_path),
        ]
        rule = np.zeros(_RULE_BUCKETS, dtype=np.float32)
        rule[_bucket(self.rule, _RULE_BUCKETS)] = 1
        cwe = np.zeros(_CWE_BUCKETS, dtype=np.float32)
        if self.cwe is not None:
            cwe[_bucket(str(self.cwe), _CWE_BUCKETS)] = 1
        return np.concatenate([np.asarray(head, dtype=np.float32), rule, cwe])


def _bucket(value: str, buckets: int) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=4).digest()) % buckets


class LabelModel:
    """Refit on every call of `fit`; cheap (milliseconds for thousands of labels)."""

    def __init__(
        self,
        *,
        k: int = 7,
        min_per_class: int = 3,
        c: float = 1.0,
        feature_weight: float = 3.0,
        use_features: bool = True,
    ) -> None:
        self.k = k
        self.min_per_class = min_per_class
        self.c = c
        self.feature_weight = feature_weight
        self.use_features = use_features
        self._classifier = None
        self._train: tuple[np.ndarray, np.ndarray] | None = None

    def _design(self, embeddings: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        if not self.use_features or features is None:
            return embeddings
        return np.hstack([embeddings, self.feature_weight * features])

    def fit(
        self, embeddings: np.ndarray, features: np.ndarray | None, labels: np.ndarray
    ) -> LabelModel:
        labels = np.asarray(labels, dtype=int)
        self._train = (embeddings, labels)
        self._classifier = None
        if min(int(labels.sum()), int((1 - labels).sum())) >= self.min_per_class:
            # deferred: scikit-learn takes ~1 s to import
            from sklearn.linear_model import LogisticRegression

            self._classifier = LogisticRegression(
                C=self.c, class_weight="balanced", max_iter=1000
            ).fit(self._design(embeddings, features), labels)
        return self

    @property
    def method(self) -> str:
        return "classifier" if self._classifier is not None else "knn"

    def predict_proba(self, embeddings: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        """P(true positive) per row."""
        if self._classifier is not None:
            return self._classifier.predict_proba(self._design(embeddings, features))[:, 1]
        return self.knn_proba(embeddings)

    def knn_proba(self, embeddings: np.ndarray) -> np.ndarray:
        """Similarity-weighted vote of the k nearest labelled findings (0.5 with none)."""
        if self._train is None or len(self._train[1]) == 0:
            return np.full(len(embeddings), 0.5)
        train, labels = self._train
        sims = embeddings @ train.T
        k = min(self.k, len(labels))
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(sims, top, axis=1), 1e-3, None)
        votes = labels[top]
        return (weights * votes).sum(axis=1) / weights.sum(axis=1)


def review_priority(p_true: np.ndarray, severities: list[str]) -> np.ndarray:
    """Higher first: uncertainty (1 at p=0.5, 0 at p in {0,1}) times severity weight."""
    uncertainty = 1 - np.abs(2 * np.asarray(p_true) - 1)
    weight = np.asarray([SEVERITY_WEIGHT.get(s, 0.6) for s in severities])
    return uncertainty * weight


def dismissal_threshold(p_true: np.ndarray, labels: np.ndarray, keep: float = 0.95) -> float:
    """The highest threshold that keeps `keep` of the labelled true positives above it: a
    suggestion below it may be dismissed without a reviewer."""
    positives = np.sort(np.asarray(p_true)[np.asarray(labels) == 1])
    if len(positives) == 0:
        return 0.0
    index = int(np.floor((1 - keep) * len(positives)))
    return float(positives[index])


def mcc(truth: np.ndarray, predicted: np.ndarray) -> float:
    truth, predicted = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = float(np.sum(truth & predicted))
    tn = float(np.sum(~truth & ~predicted))
    fp = float(np.sum(~truth & predicted))
    fn = float(np.sum(truth & ~predicted))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator else 0.0
