"""The quality gate: Great Expectations 1.x expectations, as code, over a corpus snapshot.

The snapshot becomes a few pandas tables (decided items, all items, CWE classes, label
authors, agreement); each expectation runs on one of them and GX decides pass or fail.
The result is a `GateReport` (each expectation with its observed value and threshold),
stored in `gate_runs` with its history, and GX's data docs (HTML) written beside it.

Everything the gate judges is computed from the snapshot's frozen items, except who is an
active reviewer, which is read when the gate runs: disabling an account fails the gate for
every snapshot still holding that reviewer's labels, until they are reviewed again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, SkipValidation
from sqlalchemy.engine import Engine

from core.agreement import cohen_kappa
from core.verdict import DECISIVE, Verdict
from ingest.redact import might_hold_secret, redact_text
from quality_gates.thresholds import LoadedThresholds, Thresholds
from store.accounts import active_reviewers
from store.gate_history import ExpectationOutcome, GateReport
from store.snapshots import DECIDED, DISPUTED, EVAL, Item, components, get_snapshot
from store.snapshots import load_items as load_snapshot_items
from store.tables import GateRun, utcnow

# A security tool does not report its users' data quality runs to a third party.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402  (after the analytics switch)
import great_expectations.expectations as gxe  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.row_conditions import Column  # noqa: E402

_DETAILS = 20  # failing rows named in a report line


# The tables GX validates -------------------------------------------------------------------


def _secrets_in(item: Item) -> int:
    """Texts of an item that still hold something the redactor would remove."""
    return sum(
        1 for text in item.trained_text() if might_hold_secret(text) and redact_text(text) != text
    )


def _blank(value: Any) -> Any:
    return None if value in ("", [], None) else value


def _leaking(items: list[Item], thresholds: Thresholds) -> set[int]:
    """Decided items whose component (cross-tool group or near-duplicate code, judged with
    the gate's own threshold, whatever policy built the snapshot) spans train and eval."""
    records = [item.record for item in items]
    policy = {"split_by": "group", "near_duplicate_jaccard": thresholds.near_duplicate_jaccard}
    roots = components(records, policy)
    splits: dict[int, set[str]] = {}
    for root, item in zip(roots, items, strict=True):
        splits.setdefault(root, set()).add(item.split)
    return {
        item.finding_id for root, item in zip(roots, items, strict=True) if len(splits[root]) > 1
    }


def _kappa(items: list[Item]) -> tuple[float | None, int]:
    """Pooled kappa over every pair of reviewers on the same finding (both orders, so no
    reviewer is 'first'), and the number of such pairs."""
    pairs: list[tuple[str, str]] = []
    overlapping = 0
    for item in items:
        verdicts = {
            label.reviewer: label.verdict.value
            for label in item.record.labels
            if label.kind == "review" and label.verdict in DECISIVE
        }
        for first, second in combinations(sorted(verdicts), 2):
            pairs += [(verdicts[first], verdicts[second]), (verdicts[second], verdicts[first])]
            overlapping += 1
    return cohen_kappa(pairs), overlapping


def gate_frames(items: list[Item], thresholds: Thresholds) -> dict[str, pd.DataFrame]:
    decided = [item for item in items if item.status == DECIDED]
    leaking = _leaking(decided, thresholds)
    decided_frame = pd.DataFrame(
        [
            {
                "finding_id": item.finding_id,
                "rule_id": _blank(item.record.rule_id),
                "tool": _blank(item.record.tool),
                "verdict": _blank(item.verdict and item.verdict.value),
                "split": _blank(item.split.value),
                "code": _blank(item.code),
                "cwe": _blank(item.record.cwe_ids),
                "language": _blank(item.record.language),
                "is_true_positive": int(item.verdict == Verdict.TRUE_POSITIVE),
                "is_eval": int(item.split == EVAL),
                "fixed_code": _blank(item.record.fixed_code),
                "secrets": _secrets_in(item),
                "leaks": int(item.finding_id in leaking),
            }
            for item in decided
        ],
        columns=[
            "finding_id", "rule_id", "tool", "verdict", "split", "code", "cwe", "language",
            "is_true_positive", "is_eval", "fixed_code", "secrets", "leaks",
        ],
    )  # fmt: skip
    classes: dict[int, int] = {}
    for item in decided:
        for cwe in set(item.record.cwe_ids):
            classes[cwe] = classes.get(cwe, 0) + 1
    cwe_frame = pd.DataFrame(
        [
            {"cwe": f"CWE-{cwe}", "items": count, "share": count / len(decided)}
            for cwe, count in sorted(classes.items())
        ],
        columns=["cwe", "items", "share"],
    )
    label_frame = pd.DataFrame(
        [
            {"finding_id": item.finding_id, "reviewer": label.reviewer}
            for item in items
            if item.status in (DECIDED, DISPUTED)
            for label in item.record.labels
        ],
        columns=["finding_id", "reviewer"],
    )
    kappa, pairs = _kappa(items)
    judged = kappa if kappa is not None and pairs >= thresholds.min_kappa_pairs else None
    agreement = pd.DataFrame([{"kappa": judged, "pairs": pairs, "raw_kappa": kappa}])
    items_frame = pd.DataFrame(
        [{"finding_id": item.finding_id, "status": item.status.value} for item in items],
        columns=["finding_id", "status"],
    )
    return {
        "decided": decided_frame,
        "items": items_frame,
        "cwe_classes": cwe_frame,
        "label_authors": label_frame,
        "agreement": agreement,
    }


# The expectations --------------------------------------------------------------------------

Observe = Callable[[dict[str, Any], dict[str, pd.DataFrame]], Any]


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    frame: str
    description: str
    expectation: SkipValidation[gxe.Expectation]  # a GX (pydantic v1) model, built just above
    observe: Observe
    minimum: float | None = None  # the bounds the observed value is held to (for charts)
    maximum: float | None = 0  # most checks count offending rows: none allowed
    percent: bool = False
    id_column: str | None = "finding_id"  # names the rows that broke it
    unit: str = "findings"  # what the observed value counts or measures

    @property
    def threshold(self) -> str:
        def shown(value: float) -> str:
            return f"{value:.0%}" if self.percent else f"{value:g}"

        if self.minimum is not None and self.maximum is not None:
            return f"{shown(self.minimum)} to {shown(self.maximum)}"
        if self.minimum is not None:
            return f">= {shown(self.minimum)}"
        return "0" if self.maximum == 0 else f"<= {shown(self.maximum)}"


def _unexpected(result: dict[str, Any], frames: dict[str, pd.DataFrame]) -> int:
    return int(result.get("unexpected_count") or 0)


def _observed(result: dict[str, Any], frames: dict[str, pd.DataFrame]) -> Any:
    value = result.get("observed_value")
    return round(float(value), 4) if isinstance(value, float) else value


def checks(thresholds: Thresholds, reviewers: set[str]) -> list[Check]:
    t = thresholds
    trusted = sorted(reviewers | set(t.trusted_label_sources))
    result = [
        Check(
            name="labeled_volume",
            frame="decided",
            description="Findings with a true- or false-positive verdict",
            expectation=gxe.ExpectTableRowCountToBeBetween(min_value=t.min_labeled),
            observe=_observed,
            minimum=t.min_labeled,
            maximum=None,
            id_column=None,
        ),
        Check(
            name="eval_split_size",
            frame="decided",
            description="Decided findings held out for evaluation",
            expectation=gxe.ExpectColumnSumToBeBetween(column="is_eval", min_value=t.min_eval),
            observe=lambda r, f: int(r.get("observed_value") or 0),
            minimum=t.min_eval,
            maximum=None,
            id_column=None,
        ),
        Check(
            name="cwe_diversity",
            frame="cwe_classes",
            description="Distinct CWE classes among decided findings",
            expectation=gxe.ExpectTableRowCountToBeBetween(min_value=t.min_cwe_classes),
            observe=_observed,
            minimum=t.min_cwe_classes,
            maximum=None,
            id_column=None,
            unit="CWE classes",
        ),
        Check(
            name="cwe_concentration",
            frame="cwe_classes",
            description="Largest CWE class's share of decided findings",
            expectation=gxe.ExpectColumnValuesToBeBetween(
                column="share", max_value=t.max_cwe_share
            ),
            observe=lambda r, f: (
                round(float(f["cwe_classes"]["share"].max()), 4) if len(f["cwe_classes"]) else None
            ),
            maximum=t.max_cwe_share,
            percent=True,
            id_column="cwe",
            unit="share",
        ),
        Check(
            name="true_positive_ratio",
            frame="decided",
            description="Confirmed true positives among decided findings",
            expectation=gxe.ExpectColumnMeanToBeBetween(
                column="is_true_positive",
                min_value=t.min_true_positive_ratio,
                max_value=t.max_true_positive_ratio,
            ),
            observe=_observed,
            minimum=t.min_true_positive_ratio,
            maximum=t.max_true_positive_ratio,
            percent=True,
            id_column=None,
            unit="share",
        ),
        Check(
            name="label_consistency",
            frame="agreement",
            description="Kappa between reviewers on shared findings "
            f"(judged from {t.min_kappa_pairs} pairs)",
            expectation=gxe.ExpectColumnValuesToBeBetween(column="kappa", min_value=t.min_kappa),
            observe=lambda r, f: _kappa_observed(f["agreement"]),
            minimum=t.min_kappa,
            maximum=None,
            id_column=None,
            unit="kappa",
        ),
        Check(
            name="no_unresolved_conflicts",
            frame="items",
            description="Findings whose reviewers disagree and no lead has adjudicated",
            expectation=gxe.ExpectColumnValuesToNotBeInSet(
                column="status", value_set=[DISPUTED.value]
            ),
            observe=_unexpected,
        ),
        Check(
            name="remediation_coverage",
            frame="decided",
            description="True positives with the reviewer's fixed code",
            expectation=gxe.ExpectColumnValuesToNotBeNull(
                column="fixed_code",
                mostly=t.min_remediation_coverage,
                row_condition=Column("is_true_positive") == 1,
            ),
            observe=lambda r, f: _coverage(f["decided"]),
            minimum=t.min_remediation_coverage,
            maximum=None,
            percent=True,
            unit="share",
        ),
        Check(
            name="no_secrets",
            frame="decided",
            description="Texts that would be trained on and still hold a secret",
            expectation=gxe.ExpectColumnValuesToBeBetween(column="secrets", max_value=0),
            observe=_unexpected,
        ),
        Check(
            name="no_train_eval_leakage",
            frame="decided",
            description="Findings with an exact or near duplicate (or a cross-tool twin) "
            "across train/eval",
            expectation=gxe.ExpectColumnValuesToBeBetween(column="leaks", max_value=0),
            observe=_unexpected,
        ),
        Check(
            name="labels_from_active_reviewers",
            frame="label_authors",
            description="Labels whose author is not an active reviewer account",
            expectation=gxe.ExpectColumnValuesToBeInSet(column="reviewer", value_set=trusted),
            observe=_unexpected,
            unit="labels",
        ),
    ]
    for field in t.required_fields:
        result.append(
            Check(
                name=f"required_field:{field}",
                frame="decided",
                description=f"Decided findings without {field}",
                expectation=gxe.ExpectColumnValuesToNotBeNull(column=field),
                observe=_unexpected,
            )
        )
    for check in result:  # how a GX result finds its way back to its check
        check.expectation.meta = {"gate": check.name}
    return result


def _kappa_observed(agreement: pd.DataFrame) -> float | str:
    row = agreement.iloc[0]
    if pd.isna(row["raw_kappa"]):
        return f"n/a ({int(row['pairs'])} reviewer pairs)"
    if pd.isna(row["kappa"]):
        return f"n/a ({int(row['pairs'])} reviewer pairs, kappa {row['raw_kappa']:.2f})"
    return round(float(row["kappa"]), 4)


def _coverage(decided: pd.DataFrame) -> float | None:
    positives = decided[decided["is_true_positive"] == 1]
    if positives.empty:
        return None
    return round(float(positives["fixed_code"].notna().mean()), 4)


# Running -----------------------------------------------------------------------------------


def _details(result: dict[str, Any], id_column: str | None) -> list[Any]:
    if id_column is None:
        return []
    rows = result.get("partial_unexpected_index_list") or []
    values = []
    for row in rows[:_DETAILS]:
        value = row.get(id_column) if isinstance(row, dict) else row
        values.append(value.item() if hasattr(value, "item") else value)
    return values


def _prune_docs(docs: Path) -> None:
    """GX copies its walkthrough animations (3.4 MB) into every site; no page we keep
    references them."""
    for image in (docs / "static" / "images").glob("*"):
        if image.suffix in (".gif",) or image.name == "iterative-dev-loop.png":
            image.unlink()


def evaluate(
    items: list[Item],
    thresholds: Thresholds,
    reviewers: set[str],
    docs_dir: Path | None = None,
) -> list[ExpectationOutcome]:
    """Run every expectation on the snapshot's tables (`reviewers`: the active accounts);
    GX's data docs go to `docs_dir`."""
    frames = gate_frames(items, thresholds)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="gate",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),  # GX refuses relative paths
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("corpus_snapshot")
    all_checks = checks(thresholds, reviewers)
    outcomes: dict[str, ExpectationOutcome] = {}
    for frame_name, frame in frames.items():
        mine = [check for check in all_checks if check.frame == frame_name]
        if not mine:
            continue
        batch = source.add_dataframe_asset(frame_name).add_batch_definition_whole_dataframe(
            "snapshot"
        )
        suite = context.suites.add(
            gx.ExpectationSuite(
                name=frame_name,
                expectations=[check.expectation for check in mine],
            )
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=frame_name, data=batch, suite=suite)
        )
        id_columns = [column for column in ("finding_id", "cwe") if column in frame.columns]
        result = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": id_columns,
            },
        )
        by_name = {check.name: check for check in mine}
        for outcome in result.results:
            check = by_name[outcome.expectation_config.meta["gate"]]
            if outcome.exception_info.get("raised_exception"):
                raise RuntimeError(f"expectation {check.name} raised: {outcome.exception_info}")
            outcomes[check.name] = ExpectationOutcome(
                name=check.name,
                description=check.description,
                expectation=outcome.expectation_config.type,
                observed=check.observe(outcome.result, frames),
                threshold=check.threshold,
                minimum=check.minimum,
                maximum=check.maximum,
                unit=check.unit,
                passed=bool(outcome.success),
                details=_details(outcome.result, check.id_column) if not outcome.success else [],
            )
    if docs_dir is not None:
        context.build_data_docs(site_names=["gate"])  # not GX's default temporary site
        _prune_docs(docs_dir)
    return [outcomes[check.name] for check in all_checks]


def run_gate(
    engine: Engine, snapshot_id: int, thresholds: LoadedThresholds, reports_dir: Path
) -> GateReport:
    """Evaluate the gate on a stored snapshot; store the report (and its data docs under
    `reports_dir`) as one more entry of the gate's history."""
    snapshot = get_snapshot(engine, snapshot_id)
    items = load_snapshot_items(engine, snapshot_id)
    evaluated_at = utcnow()
    folder = reports_dir / f"snapshot-{snapshot_id}-{evaluated_at:%Y%m%dT%H%M%S%fZ}"
    docs = folder / "data_docs"
    try:
        outcomes = evaluate(items, thresholds.values, active_reviewers(engine), docs)
        report = GateReport(
            snapshot_id=snapshot.id,
            snapshot_hash=snapshot.content_hash,
            passed=all(outcome.passed for outcome in outcomes),
            thresholds_version=thresholds.values.version,
            thresholds_hash=thresholds.sha256,
            thresholds_path=str(thresholds.path),
            evaluated_at=evaluated_at,
            expectations=outcomes,
            docs_path=str(docs / "index.html"),
        )
        with engine.begin() as conn:
            report.gate_run_id = conn.execute(
                sa.insert(GateRun).values(
                    snapshot_id=snapshot.id,
                    passed=report.passed,
                    thresholds_version=report.thresholds_version,
                    thresholds_hash=report.thresholds_hash,
                    report=report.model_dump(mode="json", exclude={"gate_run_id"}),
                    docs_path=report.docs_path,
                    evaluated_at=evaluated_at,
                )
            ).inserted_primary_key[0]
        (folder / "report.json").write_text(report.model_dump_json(indent=2) + "\n")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no docs without a stored report
        raise
    return report
