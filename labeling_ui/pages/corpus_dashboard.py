"""For leads: what the labeled corpus holds and who is building it. Decided findings and the
true-positive ratio per CWE class, labels per day per reviewer, agreement now."""

from __future__ import annotations

import streamlit as st

from core.agreement import krippendorff_alpha
from labeling_ui import dashboards, workbench
from store.labels import reviewer_verdicts

workbench.require("dashboards")
settings = workbench.settings()
engine = workbench.store().engine
st.title("Corpus and reviewers")

cwes = dashboards.cwe_frame(engine, settings.labels_required)
verdicts = reviewer_verdicts(engine)
alpha = krippendorff_alpha(verdicts)
a, b, c = st.columns(3)
a.metric("Decided findings", int(cwes["decided"].sum()) if not cwes.empty else 0)
b.metric("CWE classes", len(cwes))
c.metric("Krippendorff's alpha", "n/a" if alpha is None else f"{alpha:.3f}")
st.caption(
    "Decided: a true- or false-positive verdict from a lead, or from "
    f"{settings.labels_required} agreeing reviewer(s). A finding with several CWEs counts in "
    "each class. Pairwise kappa: the Agreement page."
)
if cwes.empty:
    st.info("No decided findings yet.")
else:
    st.altair_chart(dashboards.cwe_chart(cwes))
    st.altair_chart(dashboards.cwe_ratio_chart(cwes))

days = st.slider("Days shown", 7, 180, 60, key="corpus_days")
per_day = dashboards.labels_per_day_frame(engine, days)
if per_day.empty:
    st.caption(f"No labels in the last {days} days.")
else:
    st.altair_chart(dashboards.labels_chart(per_day))
    st.caption(f"{int(per_day['labels'].sum())} labels in the last {days} days.")
