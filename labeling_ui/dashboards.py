"""What the leads' dashboards show: tables from the store and the gate's history, and the
Altair charts drawn from them. Every chart has a title, axis titles and units."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.verdict import Verdict
from store.gate_history import GateReport
from store.snapshots import decided_clause
from store.tables import FindingRecord, LabelRecord, ReviewState, utcnow

PASS, FAIL = "#2e7d32", "#c62828"


def utc_naive(values: pd.Series) -> pd.Series:
    """Times as naive UTC: what Vega-Lite plots without a timezone warning (axes say UTC)."""
    return pd.to_datetime(values, utc=True).dt.tz_convert(None)


# Tables ------------------------------------------------------------------------------------


def gate_runs_frame(reports: list[GateReport]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "evaluated": r.evaluated_at,
                "snapshot": r.snapshot_id,
                "verdict": "pass" if r.passed else "fail",
                "failed expectations": len(r.failed()),
                "failing": ", ".join(o.name for o in r.failed()),
            }
            for r in reports
        ],
        columns=["evaluated", "snapshot", "verdict", "failed expectations", "failing"],
    )
    frame["evaluated"] = utc_naive(frame["evaluated"])
    return frame


def expectation_frame(reports: list[GateReport], name: str) -> pd.DataFrame:
    """One expectation's observed value (numbers only), bounds and verdict per gate run."""
    rows = []
    for report in reports:
        for outcome in report.expectations:
            if outcome.name != name:
                continue
            observed = outcome.observed if isinstance(outcome.observed, int | float) else None
            rows.append(
                {
                    "evaluated": report.evaluated_at,
                    "observed": observed,
                    "minimum": outcome.minimum,
                    "maximum": outcome.maximum,
                    "verdict": "pass" if outcome.passed else "fail",
                }
            )
    frame = pd.DataFrame(rows, columns=["evaluated", "observed", "minimum", "maximum", "verdict"])
    frame["evaluated"] = utc_naive(frame["evaluated"])
    return frame


def cwe_frame(engine: Engine, labels_required: int) -> pd.DataFrame:
    """Decided findings and their true-positive ratio per CWE class, right now."""
    verdict = sa.func.coalesce(ReviewState.final_verdict, ReviewState.consensus)
    statement = (
        sa.select(FindingRecord.cwe_ids, verdict)
        .join(ReviewState, ReviewState.finding_id == FindingRecord.id)
        .where(decided_clause(labels_required))
    )
    counts: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for cwe_ids, decided in conn.execute(statement):
            for cwe in sorted(set(cwe_ids or [])) or [None]:
                key = f"CWE-{cwe}" if cwe is not None else "no CWE"
                tally = counts.setdefault(key, [0, 0])
                tally[0] += 1
                tally[1] += decided == Verdict.TRUE_POSITIVE
    frame = pd.DataFrame(
        [
            {"cwe": cwe, "decided": n, "true positives": tp, "true-positive ratio": tp / n}
            for cwe, (n, tp) in counts.items()
        ],
        columns=["cwe", "decided", "true positives", "true-positive ratio"],
    )
    return frame.sort_values("decided", ascending=False, ignore_index=True)


def labels_per_day_frame(engine: Engine, days: int = 60) -> pd.DataFrame:
    """Reviewers' labels (retracted ones excluded) per UTC day over the last `days`."""
    since = utcnow() - timedelta(days=days)
    statement = sa.select(LabelRecord.created_at, LabelRecord.reviewer).where(
        LabelRecord.created_at >= since, LabelRecord.retracted_at.is_(None)
    )
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    frame = pd.DataFrame(rows, columns=["created_at", "reviewer"])
    if frame.empty:
        return pd.DataFrame(columns=["day", "reviewer", "labels"])
    frame["day"] = utc_naive(frame["created_at"]).dt.floor("D")
    return frame.groupby(["day", "reviewer"]).size().reset_index(name="labels")


# Charts ------------------------------------------------------------------------------------


def _verdict_color() -> alt.Color:
    return alt.Color(
        "verdict:N",
        title="Gate verdict",
        scale=alt.Scale(domain=["pass", "fail"], range=[PASS, FAIL]),
    )


def gate_status_chart(runs: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(runs, title="Gate runs over time")
        .mark_circle(size=90)
        .encode(
            x=alt.X("evaluated:T", title="Evaluated (UTC)"),
            y=alt.Y(
                "failed expectations:Q",
                title="Failed expectations (count)",
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            color=_verdict_color(),
            tooltip=["evaluated:T", "snapshot:Q", "verdict:N", "failing:N"],
        )
    )


def expectation_chart(history: pd.DataFrame, name: str, unit: str) -> alt.LayerChart:
    base = alt.Chart(history)
    observed = base.mark_line(point=True, color="#1565c0").encode(
        x=alt.X("evaluated:T", title="Evaluated (UTC)"),
        y=alt.Y("observed:Q", title=f"Observed ({unit})"),
        tooltip=["evaluated:T", "observed:Q", "verdict:N"],
    )
    layers = [observed]
    for bound, dash in (("minimum", [6, 3]), ("maximum", [2, 2])):
        if history[bound].notna().any():
            layers.append(
                base.mark_rule(color="#6d4c41", strokeDash=dash).encode(
                    y=alt.Y(f"{bound}:Q", title=f"Observed ({unit})"),
                    tooltip=[alt.Tooltip(f"{bound}:Q", title=f"threshold ({bound})")],
                )
            )
    return alt.layer(*layers).properties(title=f"{name}: observed value against its threshold")


def cwe_chart(cwes: pd.DataFrame) -> alt.LayerChart:
    base = alt.Chart(cwes).encode(y=alt.Y("cwe:N", sort="-x", title="CWE class"))
    bars = base.mark_bar(color="#90a4ae").encode(
        x=alt.X("decided:Q", title="Decided findings (count)"),
        tooltip=["cwe:N", "decided:Q", "true positives:Q", "true-positive ratio:Q"],
    )
    positives = base.mark_bar(color=FAIL).encode(x="true positives:Q")
    return alt.layer(bars, positives).properties(
        title="Decided findings (grey) and true positives (red) per CWE class"
    )


def cwe_ratio_chart(cwes: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(cwes, title="True-positive ratio per CWE class")
        .mark_bar(color=FAIL)
        .encode(
            y=alt.Y("cwe:N", sort="-x", title="CWE class"),
            x=alt.X(
                "true-positive ratio:Q",
                title="True positives / decided (share)",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=["cwe:N", alt.Tooltip("true-positive ratio:Q", format=".0%")],
        )
    )


def labels_chart(per_day: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(per_day, title="Labels per day per reviewer")
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="Day (UTC)", timeUnit="yearmonthdate"),
            y=alt.Y("labels:Q", title="Labels (count)", stack=True),
            color=alt.Color("reviewer:N", title="Reviewer"),
            tooltip=["day:T", "reviewer:N", "labels:Q"],
        )
    )


def growth_chart(evaluations: pd.DataFrame) -> alt.LayerChart:
    base = alt.Chart(evaluations).encode(
        x=alt.X("at:T", title="Evaluated (UTC)"),
        y=alt.Y("decided now:Q", title="Decided labels (count)"),
    )
    line = base.mark_line(color="#90a4ae")
    points = base.mark_circle(size=70).encode(
        color=alt.Color("fired:N", title="Retraining started"),
        tooltip=["at:T", "decided now:Q", "fired:N", "reason:N"],
    )
    return alt.layer(line, points).properties(title="Decided labels at each trigger evaluation")
