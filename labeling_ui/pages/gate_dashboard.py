"""For leads and the platform team: is the labeled corpus worth training on? The gate now
and over time, each expectation against its threshold, and how far the corpus is from the
next retraining trigger (with every evaluation of the trigger and its reason)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from labeling_ui import dashboards, workbench
from store.gate_history import gate_history, trigger_history

workbench.require("dashboards")
operations = workbench.operations()
engine = workbench.store().engine
st.title("Quality gate")
problem = operations.gate_config_error()
if problem is not None:
    st.error(problem)
    st.stop()

if st.button("Snapshot the corpus and run the gate now", key="gate_run"):
    with st.spinner("Snapshotting and running the expectations..."):
        operations.run_gate_now(engine, workbench.user()["username"])

history = gate_history(engine)
if not history:
    st.info("The gate has not run yet: press the button above, or run `flywheel gate`.")
else:
    latest = history[-1]
    a, b, c = st.columns(3)
    a.metric("Gate now", "PASS" if latest.passed else "FAIL")
    b.metric("Snapshot", latest.snapshot_id)
    c.metric("Failed expectations", len(latest.failed()))
    st.caption(
        f"Evaluated {latest.evaluated_at:%Y-%m-%d %H:%M} UTC against thresholds "
        f"v{latest.thresholds_version} ({latest.thresholds_path}). Data docs: {latest.docs_path}"
    )
    st.dataframe(
        [
            {
                "expectation": o.name,
                "observed": str(o.observed),
                "threshold": o.threshold,
                "verdict": "pass" if o.passed else "FAIL",
                "what it measures": o.description,
                "failing rows": ", ".join(str(d) for d in o.details[:10]),
            }
            for o in latest.expectations
        ],
        hide_index=True,
        key="gate_expectations",
    )
    st.subheader("Over time")
    st.altair_chart(dashboards.gate_status_chart(dashboards.gate_runs_frame(history)))
    names = [o.name for o in latest.expectations]
    chosen = st.selectbox("Expectation", names, key="gate_expectation")
    unit = next(o.unit for o in latest.expectations if o.name == chosen)
    series = dashboards.expectation_frame(history, chosen)
    if series["observed"].notna().any():
        st.altair_chart(dashboards.expectation_chart(series, chosen, unit))
    else:
        st.caption(f"{chosen} has no numeric observation yet.")

st.subheader("Toward the next retraining")
outlook = operations.retraining_outlook(engine)
st.progress(outlook.progress, text=outlook.text)
evaluations = trigger_history(engine)
if evaluations:
    frame = pd.DataFrame(
        [
            {
                "at": e.at,
                "fired": e.fired,
                "decided now": e.decided_now,
                "decided at last model": e.decided_baseline,
                "snapshot": e.snapshot_id,
                "reason": e.reason,
            }
            for e in evaluations
        ]
    )
    frame["at"] = dashboards.utc_naive(frame["at"])
    st.altair_chart(dashboards.growth_chart(frame))
    st.dataframe(frame, hide_index=True, key="trigger_evaluations")
else:
    st.caption("The retraining sensor has not evaluated the trigger yet (Dagster daemon).")
