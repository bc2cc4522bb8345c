"""The append-only audit log: every label, change, adjudication, guideline and user edit."""

from __future__ import annotations

import json

import streamlit as st

from labeling_ui import workbench
from store.audit import audit_entries

workbench.require("audit")
st.title("Audit log")
a, b, c = st.columns(3)
actor = a.text_input("Who", key="audit_actor") or None
action = b.selectbox(
    "Action",
    [
        None,
        "label",
        "undo",
        "bulk_label",
        "adjudicate",
        "import",
        "guideline.edit",
        "user.add",
        "user.disable",
        "user.enable",
    ],
    key="audit_action",
    format_func=lambda v: "any" if v is None else v,
)
finding = c.number_input("Finding", min_value=0, value=0, step=1, key="audit_finding")
entries = audit_entries(
    workbench.store().engine,
    actor=actor,
    action=action,
    finding_id=int(finding) or None,
    limit=500,
)
st.caption(f"{len(entries)} entries, newest first (at most 500 shown).")
st.dataframe(
    [
        {
            "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "who": e.actor,
            "action": e.action,
            "finding": e.finding_id,
            "subject": e.subject or "",
            "before": json.dumps(e.before, default=str) if e.before else "",
            "after": json.dumps(e.after, default=str) if e.after else "",
        }
        for e in entries
    ],
    hide_index=True,
    key="audit_table",
)
