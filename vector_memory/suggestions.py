"""Suggestions for the store's open, unlabelled findings, from the index and the labels."""

from __future__ import annotations

import numpy as np

from core.verdict import Verdict
from store import FindingRecord, FindingsStore
from vector_memory.index import FindingIndex
from vector_memory.label_model import Features, LabelModel, Suggestion, review_priority


def features_of(record: FindingRecord, tools: list[str]) -> Features:
    raw = record.raw or {}
    extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
    taint = bool(raw.get("codeFlows") or extra.get("dataflow_trace"))
    return Features(
        tool_agreement=len(tools),
        severity=record.severity,
        confidence=record.confidence,
        taint_path=taint,
        rule=record.rule_id,
        cwe=record.cwe_ids[0] if record.cwe_ids else None,
    )


def suggest_for_open(store: FindingsStore, index: FindingIndex) -> list[Suggestion]:
    """Every open unlabelled finding with its suggestion and review priority, best first."""
    payloads = index.payloads()
    records = {r.id: r for r in store.findings() if r.id in payloads}
    labels = store.label_states(list(records))
    labelled = [i for i, s in labels.items() if s.is_true_positive is not None]
    queue = [i for i, r in records.items() if i not in labels and r.status in ("open", "reopened")]
    if not queue:
        return []
    vectors = index.vectors(labelled + queue)

    def rows(ids):
        embeddings = np.vstack([vectors[i] for i in ids]) if ids else np.zeros((0, 1))
        features = (
            np.vstack(
                [features_of(records[i], payloads[i].get("tools") or []).vector() for i in ids]
            )
            if ids
            else None
        )
        return embeddings, features

    model = LabelModel()
    if labelled:
        truth = np.asarray([int(bool(labels[i].is_true_positive)) for i in labelled])
        model.fit(*rows(labelled), truth)
        p = model.predict_proba(*rows(queue))
        method = model.method
    else:
        p = np.full(len(queue), 0.5)
        method = "none"
    priority = review_priority(p, [records[i].severity for i in queue])
    ranked = sorted(range(len(queue)), key=lambda j: -priority[j])
    result = []
    for j in ranked:
        record = records[queue[j]]
        known = method != "none"
        result.append(
            Suggestion(
                finding_id=record.id,
                priority=round(float(priority[j]), 4),
                suggested_label=(Verdict.TRUE_POSITIVE if p[j] >= 0.5 else Verdict.FALSE_POSITIVE)
                if known
                else None,
                confidence=round(float(max(p[j], 1 - p[j])), 4) if known else None,
                p_true=round(float(p[j]), 4) if known else None,
                method=method,
                severity=record.severity,
                rule_id=record.rule_id,
            )
        )
    return result
