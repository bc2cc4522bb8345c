"""Labels in and out: the JSONL export (what training reads, also as a `datasets.Dataset`),
and imports of earlier triage decisions.

Export format, one JSON object per labelled finding:
    {"finding": {identity, rule, CWE, location, snippet ...}, "verdict", "final",
     "reviewers", "fixed_code", "labels": [{reviewer, verdict, note, fixed_code, source ...}]}
Findings are matched on import by their identity (repository, service, tool, fingerprint),
which survives line shifts and re-ingests, so an export re-imports into another store.

Every import is one transaction: a bad line anywhere (named with its file and line number)
writes nothing; labels already stored are never touched. Each imported label records where
it came from in `source`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, computed_field, field_serializer
from sqlalchemy.engine import Connection, Engine

from core.verdict import DECISIVE, LABELS, Verdict
from store.errors import StoreError
from store.labels import label_states, run_optimistic, write_label
from store.tables import FindingRecord, LabelRecord

EXPORT_FIELDS = (
    "id",
    "repository",
    "service",
    "tool",
    "fingerprint",
    "cross_tool_key",
    "rule_id",
    "rule_name",
    "message",
    "kind",
    "severity",
    "cwe_ids",
    "path",
    "start_line",
    "end_line",
    "language",
    "enclosing",
    "snippet",
    "flagged_text",
    "status",
    "fixed_commit",
)


class TransferError(StoreError):
    """A labels file could not be imported; nothing from it was written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


class ImportSummary(BaseModel):
    """What an import did. Serialized with the count of unmatched records and the first five."""

    imported: int = 0
    already: int = 0  # the same label was there already (re-import is a no-op)
    skipped: int = 0  # records with no triage decision to import
    unmatched: list[str] = []  # records naming no stored finding

    @field_serializer("unmatched")
    def _unmatched_count(self, unmatched: list[str]) -> int:
        return len(unmatched)

    @computed_field
    @property
    def unmatched_examples(self) -> list[str]:
        return self.unmatched[:5]


# Export ---------------------------------------------------------------------------------


def export_rows(engine: Engine, *, decided_only: bool = True) -> Iterator[dict[str, Any]]:
    """Each labelled finding with its labels; by default only those with a verdict
    (agreed or adjudicated), not disputed or needs-info ones."""
    states = label_states(engine)
    ids = sorted(i for i, s in states.items() if s.verdict in DECISIVE or not decided_only)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with engine.connect() as conn:
            records = conn.execute(sa.select(FindingRecord).where(FindingRecord.id.in_(chunk)))
            findings = {r.id: FindingRecord.model_validate(r._mapping) for r in records}
            labels: dict[int, list[LabelRecord]] = {}
            for row in conn.execute(
                sa.select(LabelRecord)
                .where(LabelRecord.finding_id.in_(chunk), LabelRecord.retracted_at.is_(None))
                .order_by(LabelRecord.created_at, LabelRecord.id)
            ):
                label = LabelRecord.model_validate(row._mapping)
                labels.setdefault(label.finding_id, []).append(label)
        for finding_id in chunk:
            record, state = findings[finding_id], states[finding_id]
            own = labels.get(finding_id, [])
            fixed = next((x.fixed_code for x in reversed(own) if x.fixed_code), None)
            yield {
                "finding": {k: getattr(record, k) for k in EXPORT_FIELDS},
                "verdict": state.verdict,
                "final": state.final,
                "reviewers": state.reviewers,
                "fixed_code": fixed,
                "labels": [
                    {
                        "reviewer": x.reviewer,
                        "verdict": x.verdict,
                        "kind": x.kind,
                        "note": x.note,
                        "fixed_code": x.fixed_code,
                        "fixing_commit": x.fixing_commit,
                        "source": x.source,
                        "created_at": x.created_at.isoformat(),
                    }
                    for x in own
                ],
            }


def export_jsonl(engine: Engine, path: Path, *, decided_only: bool = True) -> int:
    """Write the export to `path` atomically (a temporary file renamed at the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as out:
        for row in export_rows(engine, decided_only=decided_only):
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
    partial.replace(path)
    return count


def export_dataset(engine: Engine, *, decided_only: bool = True):
    """The export as a `datasets.Dataset`, one flat row per finding (what training reads)."""
    # deferred: Hugging Face datasets takes ~1 s to import
    from datasets import Dataset

    rows = []
    for row in export_rows(engine, decided_only=decided_only):
        finding = row["finding"]
        rows.append(
            {
                **{k: finding[k] for k in EXPORT_FIELDS if k != "fixed_commit"},
                "verdict": row["verdict"],
                "final": row["final"],
                "reviewers": row["reviewers"],
                "fixed_code": row["fixed_code"] or "",
                "fixed_commit": finding["fixed_commit"] or "",
            }
        )
    return Dataset.from_list(rows)


# Import ---------------------------------------------------------------------------------


def _read_json_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TransferError(path, f"cannot be read ({exc})") from None
    result = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TransferError(path, f"line {number} is not JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise TransferError(path, f"line {number} is not a JSON object")
        result.append((number, value))
    if not result:
        raise TransferError(path, "holds no labels (empty file)")
    return result


def _identity(conn: Connection, finding: dict[str, Any]) -> int | None:
    row = conn.execute(
        sa.select(FindingRecord.id).where(
            FindingRecord.repository == finding.get("repository", ""),
            FindingRecord.service == finding.get("service", ""),
            FindingRecord.tool == finding["tool"],
            FindingRecord.fingerprint == finding["fingerprint"],
        )
    ).first()
    return row[0] if row else None


def _existing(conn: Connection, finding_id: int) -> set[tuple[str, str]]:
    """(reviewer, verdict) of each reviewer's current label: importing the same decision
    again, from whatever source, changes nothing."""
    rows = conn.execute(
        sa.select(LabelRecord.reviewer, LabelRecord.verdict)
        .where(
            LabelRecord.finding_id == finding_id,
            LabelRecord.retracted_at.is_(None),
            LabelRecord.kind == "review",
        )
        .order_by(LabelRecord.created_at, LabelRecord.id)
    )
    return set(dict(rows.all()).items())


def _import_label(
    conn: Connection,
    summary: ImportSummary,
    finding_id: int,
    reviewer: str,
    verdict: str,
    **details: Any,
) -> None:
    """One imported decision: skipped when the reviewer already holds that verdict."""
    if (reviewer, str(verdict)) in _existing(conn, finding_id):
        summary.already += 1
        return
    write_label(conn, finding_id, reviewer, verdict, action="import", **details)
    summary.imported += 1


def import_jsonl(engine: Engine, path: Path) -> ImportSummary:
    """Labels from an export of this (or another) store; their reviewers and sources kept."""
    records = _read_json_lines(path)
    for number, record in records:
        finding, labels = record.get("finding"), record.get("labels")
        if not isinstance(finding, dict) or not isinstance(labels, list):
            raise TransferError(path, f"line {number} needs 'finding' and 'labels'")
        missing = [k for k in ("tool", "fingerprint") if not finding.get(k)]
        if missing:
            raise TransferError(path, f"line {number}: finding lacks {', '.join(missing)}")
        for label in labels:
            if not isinstance(label, dict) or label.get("verdict") not in LABELS:
                raise TransferError(
                    path, f"line {number}: each label needs a verdict among {list(LABELS)}"
                )
            if label.get("kind", "review") != "review":
                continue
            if not str(label.get("reviewer") or "").strip():
                raise TransferError(path, f"line {number}: a label has no reviewer")

    def write(conn: Connection) -> ImportSummary:
        summary = ImportSummary()
        for number, record in records:
            finding_id = _identity(conn, record["finding"])
            if finding_id is None:
                summary.unmatched.append(f"line {number}: {record['finding']['fingerprint']}")
                continue
            for label in record["labels"]:
                if label.get("kind", "review") != "review":
                    summary.skipped += 1  # adjudications are a lead's act in this store
                    continue
                source = label.get("source") or "import"
                if not source.startswith("import"):
                    source = f"import:{path.name}:{source}"
                note = label.get("note")
                if label["verdict"] == Verdict.NEEDS_INFO and not note:
                    note = "(imported without a note)"
                _import_label(
                    conn,
                    summary,
                    finding_id,
                    label["reviewer"],
                    label["verdict"],
                    fixed_code=label.get("fixed_code"),
                    fixing_commit=label.get("fixing_commit"),
                    note=note,
                    source=source,
                )
        return summary

    return run_optimistic(engine, write)


def import_sarif_suppressions(engine: Engine, reviewer: str = "sarif-suppression") -> ImportSummary:
    """Findings that their tool reported as suppressed (SARIF `suppressions`, nosemgrep,
    # nosec ...) become false-positive labels with the suppression's kind and justification
    as the note. A suppression is a triage decision someone made in the code or the tool;
    reviewers can overrule it like any label."""

    def write(conn: Connection) -> ImportSummary:
        summary = ImportSummary()
        rows = conn.execute(
            sa.select(FindingRecord.id, FindingRecord.suppression).where(
                FindingRecord.suppression.is_not(None)
            )
        ).all()
        for finding_id, suppression in rows:
            _import_label(
                conn,
                summary,
                finding_id,
                reviewer,
                Verdict.FALSE_POSITIVE,
                note=f"suppressed in the tool: {suppression}",
                source="import:sarif-suppression",
            )
        return summary

    return run_optimistic(engine, write)


# DefectDojo ------------------------------------------------------------------------------


def _dojo_verdict(item: dict[str, Any]) -> tuple[Verdict, str] | None:
    """DefectDojo's triage flags as a verdict and note; None when it holds no decision."""
    if item.get("false_p"):
        return Verdict.FALSE_POSITIVE, "false_p"
    if item.get("risk_accepted"):
        return Verdict.TRUE_POSITIVE, "risk_accepted (a real finding whose risk was accepted)"
    if item.get("verified") or item.get("is_mitigated"):
        return Verdict.TRUE_POSITIVE, "verified" if item.get("verified") else "is_mitigated"
    return None


def _dojo_match(conn: Connection, item: dict[str, Any]) -> int | None:
    """A stored finding for a DefectDojo finding: by the tool's own id when it kept one,
    else by file, line and CWE."""
    unique = item.get("unique_id_from_tool")
    if unique:
        row = conn.execute(
            sa.select(FindingRecord.id).where(FindingRecord.tool_fingerprint == str(unique))
        ).first()
        if row:
            return row[0]
    path, line = item.get("file_path"), item.get("line")
    if not path or not line:
        return None
    path = str(path).lstrip("./")
    statement = sa.select(FindingRecord.id, FindingRecord.path, FindingRecord.cwe_ids).where(
        FindingRecord.start_line == int(line)
    )
    cwe = item.get("cwe")
    for finding_id, stored_path, cwes in conn.execute(statement):
        if not stored_path or not (stored_path == path or stored_path.endswith("/" + path)):
            continue
        if cwe and int(cwe) not in (cwes or []):
            continue
        return finding_id
    return None


def import_defectdojo(engine: Engine, path: Path) -> ImportSummary:
    """DefectDojo findings (an API v2 /findings/ response, its `results` list, or JSONL):
    false_p -> false positive; verified, is_mitigated, risk_accepted -> true positive."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TransferError(path, f"cannot be read ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = [value for _, value in _read_json_lines(path)]
    items = document.get("results") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise TransferError(path, "is not a DefectDojo findings export (no 'results' list)")
    for position, item in enumerate(items, 1):
        if "id" not in item:
            raise TransferError(path, f"finding {position} has no 'id'")
        if item.get("line") not in (None, "") and not str(item["line"]).isdigit():
            raise TransferError(
                path, f"finding {item['id']}: line {item['line']!r} is not a number"
            )

    def write(conn: Connection) -> ImportSummary:
        summary = ImportSummary()
        for item in items:
            decision = _dojo_verdict(item)
            if decision is None:
                summary.skipped += 1
                continue
            finding_id = _dojo_match(conn, item)
            if finding_id is None:
                summary.unmatched.append(f"defectdojo {item['id']}: {item.get('title', '')}")
                continue
            verdict, flag = decision
            reviewer = (
                f"defectdojo:{item.get('last_reviewed_by') or item.get('reporter') or 'import'}"
            )
            mitigation = f": {item['mitigation']}" if item.get("mitigation") else ""
            _import_label(
                conn,
                summary,
                finding_id,
                reviewer,
                verdict,
                note=f"DefectDojo {flag}{mitigation}",
                source=f"import:defectdojo:{item['id']}",
            )
        return summary

    return run_optimistic(engine, write)
