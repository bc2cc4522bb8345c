"""Corpus snapshots: an immutable, hashed cut of the labeled corpus with its train/eval split.

A snapshot freezes, for every labeled finding, the verdict, the current labels and the text
that would be trained on (code, message, the reviewer's fixed code and notes). Training,
the gate and the registry refer to it by id and content hash; later labels or rescans never
change it. Snapshotting an unchanged corpus returns the existing snapshot (same hash).

The split keeps related findings together: members of a cross-tool group (the same issue
reported by several tools), exact and near-duplicate code (token 3-gram Jaccard at or above
the policy's threshold) and, with `split_by: repository`, whole repositories form one
component, and a component goes to eval when the hash of its key falls below the eval
fraction. Hash-based assignment keeps a finding's split stable as the corpus grows, unless a
new near-duplicate joins its component to another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection, Engine

from core.finding import Kind
from core.severity import Severity
from core.verdict import DECISIVE, Verdict
from store.errors import StoreError
from store.near_duplicates import Groups, link_duplicates
from store.tables import (
    CorpusSnapshot,
    FindingRecord,
    LabelRecord,
    ReviewState,
    SnapshotItem,
    utcnow,
)

_INSERT_CHUNK = 2_000


class ItemStatus(StrEnum):
    """Where a labeled finding stands when the snapshot is cut."""

    DECIDED = "decided"  # a verdict training can use
    DISPUTED = Verdict.DISPUTED.value  # reviewers disagree and no lead adjudicated
    PENDING = "pending"  # agreeing, but fewer decisive labels than required
    NEEDS_INFO = Verdict.NEEDS_INFO.value  # no decisive label


class Split(StrEnum):
    TRAIN = "train"
    EVAL = "eval"


DECIDED, DISPUTED, PENDING, NEEDS_INFO = (
    ItemStatus.DECIDED,
    ItemStatus.DISPUTED,
    ItemStatus.PENDING,
    ItemStatus.NEEDS_INFO,
)
TRAIN, EVAL = Split.TRAIN, Split.EVAL


class SnapshotError(StoreError):
    """A snapshot could not be found or made; nothing was written."""


class SnapshotLabel(BaseModel):
    """One current label of a snapshot item, as it was when the snapshot was cut."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reviewer: str
    verdict: Verdict
    kind: str  # review | adjudication
    source: str
    note: str | None = None


class SnapshotRecord(BaseModel):
    """What a snapshot freezes of a labeled finding: the text training may use and the
    identity the split keeps together. Stored as JSON in `snapshot_items.record`; its fields
    are hashed into the snapshot's content hash, so adding one changes every hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool: str
    tool_version: str | None = None
    rule_id: str
    rule_name: str | None = None
    kind: Kind
    severity: Severity
    cwe_ids: list[int] = []
    language: str | None = None
    framework: str | None = None
    repository: str = ""
    service: str = ""
    commit: str | None = None
    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    message: str = ""
    code: str | None = None  # the snippet, else the flagged lines
    snippet_start_line: int | None = None
    enclosing: str | None = None
    fingerprint: str = ""
    cross_tool_key: str = ""
    fixed_code: str | None = None  # the remediation a reviewer or lead wrote
    fixing_commit: str | None = None
    labels: list[SnapshotLabel] = []


class Item(BaseModel):
    """One labeled finding as frozen in a snapshot."""

    model_config = ConfigDict(frozen=True)

    finding_id: int
    split: Split
    status: ItemStatus
    verdict: Verdict | None  # set when DECIDED
    group_key: str
    record: SnapshotRecord

    @property
    def code(self) -> str:
        return self.record.code or ""

    def trained_text(self) -> list[str]:
        """Every text of this item that a training example could contain."""
        notes = [label.note or "" for label in self.record.labels]
        texts = [self.code, self.record.message or "", self.record.fixed_code or ""]
        return [text for text in [*texts, *notes] if text]


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    content_hash: str
    created_at: datetime
    created_by: str
    policy: dict[str, Any]
    items: int
    decided: int
    true_positives: int
    train: int
    eval: int

    @classmethod
    def from_row(cls, row: CorpusSnapshot) -> Snapshot:
        return cls.model_validate(row.model_dump())


class CreatedSnapshot(Snapshot):
    """A snapshot as `create_snapshot` answered: new, or the existing one of the same corpus."""

    created: bool


# Reading the corpus ------------------------------------------------------------------------


def _status(state: ReviewState, labels_required: int) -> tuple[ItemStatus, Verdict | None]:
    if state.final_verdict in DECISIVE:
        return DECIDED, Verdict(state.final_verdict)
    if state.consensus == Verdict.DISPUTED:
        return DISPUTED, None
    if state.consensus in DECISIVE:
        if state.decisive >= labels_required:
            return DECIDED, Verdict(state.consensus)
        return PENDING, None
    return NEEDS_INFO, None


def _remediation(labels: list[LabelRecord]) -> tuple[str | None, str | None]:
    """The fixed code a snapshot keeps: the adjudicator's, else the latest true-positive
    label's that has one."""
    ordered = sorted(labels, key=lambda label: (label.kind == "adjudication", label.created_at))
    for label in reversed(ordered):
        if label.verdict == Verdict.TRUE_POSITIVE and (label.fixed_code or label.fixing_commit):
            return label.fixed_code, label.fixing_commit
    return None, None


def _record(finding: FindingRecord, labels: list[LabelRecord]) -> SnapshotRecord:
    fixed_code, fixing_commit = _remediation(labels)
    return SnapshotRecord(
        tool=finding.tool,
        tool_version=finding.tool_version,
        rule_id=finding.rule_id,
        rule_name=finding.rule_name,
        kind=finding.kind,
        severity=finding.severity,
        cwe_ids=list(finding.cwe_ids),
        language=finding.language,
        framework=finding.framework,
        repository=finding.repository,
        service=finding.service,
        commit=finding.commit,
        path=finding.path,
        start_line=finding.start_line,
        end_line=finding.end_line,
        message=finding.message,
        code=finding.snippet or finding.flagged_text,
        snippet_start_line=finding.snippet_start_line,
        enclosing=finding.enclosing,
        fingerprint=finding.fingerprint,
        cross_tool_key=finding.cross_tool_key,
        fixed_code=fixed_code,
        fixing_commit=fixing_commit,
        labels=[
            SnapshotLabel(
                reviewer=label.reviewer,
                verdict=label.verdict,
                kind=label.kind,
                source=label.source,
                note=label.note,
            )
            for label in labels
        ],
    )


class _Labelled(BaseModel):
    finding_id: int
    status: ItemStatus
    verdict: Verdict | None
    record: SnapshotRecord


def _read_corpus(conn: Connection, labels_required: int) -> list[_Labelled]:
    """Every labeled finding with its status and verdict, ordered by finding id."""
    states = {
        row.finding_id: ReviewState.model_validate(row._mapping)
        for row in conn.execute(
            sa.select(ReviewState).where(
                sa.or_(ReviewState.reviewers > 0, ReviewState.final_verdict.is_not(None))
            )
        )
    }
    labels: dict[int, list[LabelRecord]] = {finding_id: [] for finding_id in states}
    for row in conn.execute(
        sa.select(LabelRecord)
        .where(LabelRecord.retracted_at.is_(None))
        .order_by(LabelRecord.created_at, LabelRecord.id)
    ):
        if row.finding_id in labels:
            labels[row.finding_id].append(LabelRecord.model_validate(row._mapping))
    corpus = []
    for row in conn.execute(
        sa.select(FindingRecord)
        .where(FindingRecord.id.in_(list(states)))
        .order_by(FindingRecord.id)
    ):
        finding = FindingRecord.model_validate(row._mapping)
        status, verdict = _status(states[finding.id], labels_required)
        record = _record(finding, labels[finding.id])
        corpus.append(
            _Labelled(finding_id=finding.id, status=status, verdict=verdict, record=record)
        )
    return corpus


# The split ---------------------------------------------------------------------------------


def components(records: list[SnapshotRecord], policy: dict[str, Any]) -> list[int]:
    """The component (an index into `records`) each record belongs to: records linked by a
    cross-tool group, near-duplicate code, or (split_by repository) a repository."""
    groups = Groups(len(records))
    first_with: dict[tuple[str, str], int] = {}
    keys = ["cross_tool_key"] + (["repository"] if policy["split_by"] == "repository" else [])
    for index, record in enumerate(records):
        for key in keys:
            seen = first_with.setdefault((key, getattr(record, key) or ""), index)
            groups.union(seen, index)
    codes = [record.code or "" for record in records]
    link_duplicates(codes, policy["near_duplicate_jaccard"], groups)
    return [groups.find(index) for index in range(len(records))]


def _fraction(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / float(1 << 48)


def assign_splits(records: list[SnapshotRecord], policy: dict[str, Any]) -> list[tuple[Split, str]]:
    """(split, group key) per record. A component's key is the smallest member key (its
    cross-tool key, or repository), so it does not depend on record order or ids."""
    member_key = "repository" if policy["split_by"] == "repository" else "cross_tool_key"
    roots = components(records, policy)
    component_key: dict[int, str] = {}
    for root, record in zip(roots, records, strict=True):
        key = str(getattr(record, member_key) or record.fingerprint or "")
        if root not in component_key or key < component_key[root]:
            component_key[root] = key
    result = []
    for root in roots:
        group = hashlib.sha256(component_key[root].encode()).hexdigest()
        split = EVAL if _fraction(group) < policy["eval_fraction"] else TRAIN
        result.append((split, group))
    return result


# Snapshots ---------------------------------------------------------------------------------


def content_hash(policy: dict[str, Any], items: Iterable[Item]) -> str:
    digest = hashlib.sha256(json.dumps(policy, sort_keys=True).encode())
    for item in sorted(items, key=lambda item: item.finding_id):
        record = item.record.model_dump(mode="json")
        line = [item.finding_id, item.split, item.status, item.verdict, record]
        digest.update(json.dumps(line, sort_keys=True, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def build_items(engine: Engine, policy: dict[str, Any]) -> list[Item]:
    """The current labeled corpus as snapshot items (reads only)."""
    with engine.connect() as conn:
        corpus = _read_corpus(conn, policy["labels_required"])
    splits = assign_splits([labelled.record for labelled in corpus], policy)
    return [
        Item(
            finding_id=labelled.finding_id,
            split=split,
            status=labelled.status,
            verdict=labelled.verdict,
            group_key=group,
            record=labelled.record,
        )
        for labelled, (split, group) in zip(corpus, splits, strict=True)
    ]


def _counts(items: list[Item]) -> dict[str, int]:
    decided = [item for item in items if item.status == DECIDED]
    return {
        "items": len(items),
        "decided": len(decided),
        "true_positives": sum(item.verdict == Verdict.TRUE_POSITIVE for item in decided),
        "train": sum(item.split == TRAIN for item in decided),
        "eval": sum(item.split == EVAL for item in decided),
    }


def _existing(conn: Connection, digest: str) -> Snapshot | None:
    row = conn.execute(
        sa.select(CorpusSnapshot).where(CorpusSnapshot.content_hash == digest)
    ).first()
    return Snapshot.from_row(CorpusSnapshot.model_validate(row._mapping)) if row else None


def write_snapshot(
    engine: Engine, policy: dict[str, Any], items: list[Item], created_by: str
) -> tuple[Snapshot, bool]:
    """Store a snapshot of `items` in one transaction; (snapshot, created). An identical
    snapshot (same hash) is returned as it is, so snapshotting twice writes nothing."""
    digest = content_hash(policy, items)
    with engine.connect() as conn:
        found = _existing(conn, digest)
    if found:
        return found, False
    try:
        with engine.begin() as conn:
            row = CorpusSnapshot(
                content_hash=digest,
                created_at=utcnow(),
                created_by=created_by,
                policy=policy,
                **_counts(items),
            )
            snapshot_id = conn.execute(
                sa.insert(CorpusSnapshot).values(**row.model_dump(exclude={"id"}))
            ).inserted_primary_key[0]
            rows = [
                {
                    "snapshot_id": snapshot_id,
                    "finding_id": item.finding_id,
                    "split": item.split,
                    "status": item.status,
                    "verdict": item.verdict,
                    "group_key": item.group_key,
                    "record": item.record.model_dump(mode="json"),
                }
                for item in items
            ]
            for start in range(0, len(rows), _INSERT_CHUNK):
                conn.execute(sa.insert(SnapshotItem), rows[start : start + _INSERT_CHUNK])
    except sa.exc.IntegrityError:
        with engine.connect() as conn:  # another process stored the same snapshot first
            found = _existing(conn, digest)
        if found is None:
            raise
        return found, False
    row.id = snapshot_id
    return Snapshot.from_row(row), True


def create_snapshot(
    engine: Engine, policy: dict[str, Any], created_by: str = "flywheel"
) -> tuple[Snapshot, bool]:
    """Snapshot the current labeled corpus under `policy` (split_by, eval_fraction,
    near_duplicate_jaccard, labels_required)."""
    return write_snapshot(engine, policy, build_items(engine, policy), created_by)


def get_snapshot(engine: Engine, snapshot_id: int) -> Snapshot:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(CorpusSnapshot).where(CorpusSnapshot.id == snapshot_id)
        ).first()
    if row is None:
        raise SnapshotError(f"snapshot {snapshot_id} does not exist (see `flywheel snapshot list`)")
    return Snapshot.from_row(CorpusSnapshot.model_validate(row._mapping))


def list_snapshots(engine: Engine) -> list[Snapshot]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(CorpusSnapshot).order_by(CorpusSnapshot.id))
        return [Snapshot.from_row(CorpusSnapshot.model_validate(row._mapping)) for row in rows]


def load_items(engine: Engine, snapshot_id: int) -> list[Item]:
    get_snapshot(engine, snapshot_id)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(SnapshotItem)
            .where(SnapshotItem.snapshot_id == snapshot_id)
            .order_by(SnapshotItem.finding_id)
        )
        return [
            Item(
                finding_id=row.finding_id,
                split=row.split,
                status=row.status,
                verdict=row.verdict,
                group_key=row.group_key,
                record=SnapshotRecord.model_validate(row.record),
            )
            for row in rows
        ]


def decided_clause(labels_required: int) -> Any:
    """SQL for "this review state is decided" (the same rule as `_status`)."""
    return sa.or_(
        ReviewState.final_verdict.in_(DECISIVE),
        sa.and_(
            ReviewState.final_verdict.is_(None),
            ReviewState.consensus.in_(DECISIVE),
            ReviewState.decisive >= labels_required,
        ),
    )


def decided_now(engine: Engine, labels_required: int) -> int:
    """Findings with a training-ready verdict in the store right now (one count query: the
    retraining sensor asks this every tick)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(ReviewState)
            .where(decided_clause(labels_required))
        ).scalar_one()
