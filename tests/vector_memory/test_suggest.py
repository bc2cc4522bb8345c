"""The suggestion model, the review order and the figures that judge them."""

from __future__ import annotations

import numpy as np

from vector_memory.label_model import (
    Features,
    LabelModel,
    dismissal_threshold,
    mcc,
    review_priority,
)


def test_mcc_matches_its_definition() -> None:
    assert mcc([1, 1, 0, 0], [1, 1, 0, 0]) == 1.0
    assert mcc([1, 1, 0, 0], [0, 0, 1, 1]) == -1.0
    assert mcc([1, 0, 1, 0], [1, 1, 1, 1]) == 0.0  # constant prediction
    assert round(mcc([1, 1, 1, 0, 0], [1, 1, 0, 0, 1]), 4) == round(1 / 6, 4)


def test_dismissal_threshold_keeps_95_percent_of_true_positives() -> None:
    p = np.linspace(0.0, 1.0, 100)
    labels = (np.arange(100) >= 40).astype(int)  # 60 true positives at p >= 0.40
    threshold = dismissal_threshold(p, labels)
    kept = (p[labels == 1] >= threshold).mean()
    assert kept >= 0.95 and (p[labels == 0] < threshold).all()
    assert dismissal_threshold(p, np.zeros(100)) == 0.0


def test_priority_is_uncertain_and_severe_first() -> None:
    order = np.argsort(
        -review_priority(np.array([0.5, 0.5, 0.95, 0.05]), ["low", "critical", "critical", "high"])
    )
    assert list(order[:2]) == [1, 0]


def test_model_falls_back_to_knn_then_learns_features() -> None:
    rng = np.random.default_rng(0)
    embeddings = rng.standard_normal((200, 16)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    taint = rng.random(200) < 0.4  # the label is decided by the taint feature alone
    features = np.vstack(
        [
            Features(
                tool_agreement=1 + int(t),
                severity="high",
                confidence="medium",
                taint_path=bool(t),
                rule="rule",
                cwe=89,
            ).vector()
            for t in taint
        ]
    )
    labels = taint.astype(int)
    few = LabelModel().fit(embeddings[:4], features[:4], np.array([1, 1, 1, 1]))
    assert few.method == "knn"
    assert np.allclose(few.predict_proba(embeddings[4:8], features[4:8]), 1.0)
    model = LabelModel().fit(embeddings[:100], features[:100], labels[:100])
    assert model.method == "classifier"
    p = model.predict_proba(embeddings[100:], features[100:])
    assert mcc(labels[100:], p >= 0.5) > 0.95
    blind = LabelModel(use_features=False).fit(embeddings[:100], features[:100], labels[:100])
    assert mcc(labels[100:], blind.predict_proba(embeddings[100:], None) >= 0.5) < 0.5
    assert np.allclose(LabelModel().knn_proba(embeddings[:3]), 0.5)  # nothing learned yet
