"""For the platform team: how much labelled data there is, how fresh the review queue's
suggestions are, and a button to recompute them. The gate and the retraining trigger have
their own page (Quality gate)."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from core.verdict import DECISIVE
from labeling_ui import workbench
from store.tables import FindingRecord, QueueEntry, ReviewState

workbench.require("retraining")
engine = workbench.store().engine
st.title("Retraining status")
with engine.connect() as conn:
    findings = conn.execute(sa.select(sa.func.count()).select_from(FindingRecord)).scalar_one()
    decided = conn.execute(
        sa.select(sa.func.count())
        .select_from(ReviewState)
        .where(
            sa.or_(
                ReviewState.final_verdict.is_not(None),
                ReviewState.consensus.in_(DECISIVE),
            )
        )
    ).scalar_one()
    remediated = conn.execute(
        sa.select(sa.func.count()).select_from(ReviewState).where(ReviewState.has_remediation)
    ).scalar_one()
    computed = conn.execute(sa.select(sa.func.max(QueueEntry.computed_at))).scalar_one()
a, b, c = st.columns(3)
a.metric("Findings", findings)
b.metric("With a verdict", decided)
c.metric("With a remediation", remediated)
st.caption(
    "Suggestions last computed: "
    + (computed.strftime("%Y-%m-%d %H:%M") if computed else "never (run `flywheel suggest`)")
)
if st.button("Recompute suggestions and review priority", key="recompute"):
    index = workbench.index()
    if isinstance(index, str):
        st.error(index)
    else:
        with st.spinner("Syncing the index and refitting the label model..."):
            ranked = workbench.desk().refresh_suggestions(workbench.store(), index)
        st.success(f"{len(ranked)} queued findings have fresh suggestions.")
