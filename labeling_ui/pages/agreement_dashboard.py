"""Agreement between reviewers: Cohen's kappa per pair, Krippendorff's alpha overall."""

from __future__ import annotations

import streamlit as st

from core.agreement import krippendorff_alpha, pairwise
from labeling_ui import workbench
from store.labels import reviewer_verdicts

workbench.require("dashboards")
st.title("Reviewer agreement")
verdicts = reviewer_verdicts(workbench.store().engine)
multiple = {i: by for i, by in verdicts.items() if len(by) >= 2}
alpha = krippendorff_alpha(verdicts)
a, b = st.columns(2)
a.metric("Findings with two or more labels", len(multiple))
b.metric("Krippendorff's alpha (nominal)", "n/a" if alpha is None else f"{alpha:.3f}")
st.caption(
    "Alpha and kappa: 1 is perfect agreement, 0 is what chance alone gives. Verdicts "
    "compared: true positive, false positive, needs more information."
)
pairs = pairwise(verdicts)
if not pairs:
    st.info("No finding has been labelled by two reviewers yet.")
else:
    st.dataframe(
        [
            {
                "reviewer A": p.first,
                "reviewer B": p.second,
                "shared findings": p.findings,
                "observed agreement": round(p.observed, 3),
                "Cohen's kappa": None if p.kappa is None else round(p.kappa, 3),
            }
            for p in pairs
        ],
        hide_index=True,
        key="pairs_table",
    )
