"""For leads and the platform team: is the labeled corpus worth training on? The gate now
and over time, each expectation against its threshold, and how far the corpus is from the
next retraining trigger (with every evaluation of the trigger and its reason)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from labeling_ui import dashboards, workbench
from store.gate_history import gate_history, promotion_history, trigger_history

workbench.require("dashboards")
operations = workbench.operations()
engine = workbench.store().engine
st.title("Quality gate")
decisions = promotion_history(engine)
if decisions and decisions[0].reward_yardstick_gap:
    latest_decision = decisions[0]
    st.error(
        f"Reward-yardstick gap on {latest_decision.model_name} v{latest_decision.model_version}: "
        "the reward's view improved while the independent yardstick did not, so it was not "
        f"promoted. {latest_decision.decision.get('reason', '')}",
        icon=":material/warning:",
    )
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

st.subheader("Promotion decisions")
if decisions:
    st.dataframe(
        [
            {
                "decided": d.decided_at,
                "model": f"{d.model_name} v{d.model_version}",
                "promoted": d.promoted,
                "reward-yardstick gap": d.reward_yardstick_gap,
                "independent flagged share": d.decision.get(
                    "candidate_independent_vulnerability_rate"
                ),
                "CI high": d.decision.get("independent_ci_high"),
                "func-sec@1": d.decision.get("candidate_func_sec_at_1"),
                "reason": d.decision.get("reason"),
            }
            for d in decisions
        ],
        hide_index=True,
        key="promotion_decisions",
    )
else:
    st.caption("No model has been evaluated for promotion yet.")
