"""Leads decide disputed findings; the decision is final and recorded in the audit log."""

from __future__ import annotations

import streamlit as st

from core.verdict import Verdict
from labeling_ui import workbench
from store.errors import StoreError
from store.labels import adjudicate

me = workbench.require("adjudicate")
desk = workbench.desk()
st.title("Adjudication")
conflicts = desk.conflicts()
st.metric("Disputed findings", len(conflicts))
if not conflicts:
    st.success("No conflicts waiting.")
    st.stop()

state, record = conflicts[0]
st.subheader(f"Finding {record.id}: {record.rule_id}")
st.markdown(f":red-badge[{record.severity}] `{record.path}:{record.start_line}` — {record.message}")
if record.snippet:
    st.html(workbench.finding_code_html(record))
view = desk.finding(record.id, me["username"], lead=True)
st.dataframe(
    [
        {"reviewer": x.reviewer, "verdict": x.verdict, "note": x.note or "", "source": x.source}
        for x in (view.others or [])
    ],
    hide_index=True,
    key="conflict_labels",
)
note = st.text_area("Reason for the decision", key=f"adjudication_note_{record.id}")
left, right = st.columns(2)
decision = None
if left.button("Decide: true positive", key="decide_tp", type="primary"):
    decision = Verdict.TRUE_POSITIVE
if right.button("Decide: false positive", key="decide_fp"):
    decision = Verdict.FALSE_POSITIVE
if decision:
    try:
        adjudicate(
            workbench.store().engine,
            record.id,
            me["username"],
            decision,
            expected_version=state.version,
            note=note or None,
        )
    except StoreError as exc:
        st.error(str(exc))
    else:
        st.toast(f"Finding {record.id}: {decision} (final)")
        st.rerun()
with st.expander(f"All {len(conflicts)} disputed findings"):
    st.dataframe(
        [
            {
                "id": r.id,
                "severity": r.severity,
                "rule": r.rule_id,
                "true positive votes": s.true_positive,
                "false positive votes": s.false_positive,
            }
            for s, r in conflicts
        ],
        hide_index=True,
        key="conflicts_table",
    )
