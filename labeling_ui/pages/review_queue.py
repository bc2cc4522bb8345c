"""The review queue: what this reviewer still has to judge, most useful first, with filters
and counts. Selecting a row (or "Start reviewing") opens the finding page."""

from __future__ import annotations

import streamlit as st

from core.verdict import DECISIVE
from labeling_ui import workbench
from labeling_ui.review_desk import OPEN_STATUSES, QueueFilter

PAGE_SIZE = 25
SEVERITIES = ["critical", "high", "medium", "low", "info"]

me = workbench.require("label")


@st.cache_data(ttl=60, show_spinner=False)
def facets(url: str) -> dict:
    """Filter choices change only with ingests: recomputed at most once a minute (per store:
    `url` is the cache key)."""
    return workbench.desk().facets()


def choice(label: str, options: list, key: str, fmt=str):
    return st.selectbox(
        label, [None, *options], key=key, format_func=lambda v: "any" if v is None else fmt(v)
    )


st.title("Review queue")
values = facets(workbench.settings().database_url)
with st.expander("Filters", expanded=False):
    a, b, c, d = st.columns(4)
    with a:
        repository = choice("Repository", values["repository"], "f_repository")
        service = choice("Service", values["service"], "f_service")
    with b:
        tool = choice("Tool", values["tool"], "f_tool")
        cwe = choice("CWE", values["cwe"], "f_cwe", lambda v: f"CWE-{v}")
    with c:
        severities = st.multiselect("Severity", SEVERITIES, key="f_severity")
        statuses = st.multiselect(
            "Status",
            values["status"],
            default=[s for s in OPEN_STATUSES if s in values["status"]],
            key="f_status",
        )
    with d:
        suggested = choice("Suggested label", [v.value for v in DECISIVE], "f_suggested")
where = QueueFilter(
    repository=repository,
    service=service,
    tool=tool,
    cwe=cwe,
    severities=severities,
    statuses=statuses,
    suggested_label=suggested,
)
st.session_state["queue_filter"] = where.model_dump()
page_number = st.session_state.get("queue_page", 0)
result = workbench.desk().queue(me["username"], where, page_number, PAGE_SIZE)
if page_number and not result.rows and result.total:
    st.session_state["queue_page"] = page_number = 0
    result = workbench.desk().queue(me["username"], where, 0, PAGE_SIZE)

columns = st.columns(len(SEVERITIES) + 1)
columns[0].metric("To review", result.total)
for column, severity in zip(columns[1:], SEVERITIES, strict=True):
    column.metric(severity.capitalize(), result.by_severity.get(severity, 0))

if not result.rows:
    st.success("Nothing left to review with these filters.")
    st.stop()


def open_finding(finding_id: int) -> None:
    st.session_state["finding_id"] = finding_id
    # The order shown here is the order "next" follows (labelled ones drop out).
    ids = [r.finding_id for r in result.rows]
    st.session_state["upcoming"] = ids[ids.index(finding_id) :]
    workbench.switch_to("finding")


rows = [
    {
        "id": r.finding_id,
        "priority": r.priority,
        "suggested": r.suggested_label or "",
        "confidence": r.confidence,
        "severity": r.severity,
        "tool": r.tool,
        "rule": r.rule_id,
        "CWE": ", ".join(f"CWE-{c}" for c in r.cwe_ids),
        "location": f"{r.path or ''}:{r.line or ''}",
        "service": r.service,
        "status": r.status,
        "reviews": r.reviews,
    }
    for r in result.rows
]
event = st.dataframe(
    rows,
    key="queue_table",
    on_select="rerun",
    selection_mode="single-row",
    hide_index=True,
    width="stretch",
    column_config={
        "priority": st.column_config.ProgressColumn(
            "priority", min_value=0.0, max_value=1.0, format="%.2f"
        ),
        "confidence": st.column_config.NumberColumn("confidence", format="%.2f"),
    },
)
st.caption("Suggested labels come from past reviewers' decisions; they are not labels.")
selected = getattr(getattr(event, "selection", None), "rows", None) or []
if selected:
    open_finding(rows[selected[0]]["id"])

left, middle, right = st.columns([2, 1, 1])
if left.button("Start reviewing", type="primary", key="start", shortcut="Enter"):
    open_finding(result.rows[0].finding_id)
pages = max(1, -(-result.total // PAGE_SIZE))
middle.button(
    "Previous page",
    key="page_prev",
    disabled=page_number == 0,
    on_click=lambda: st.session_state.update(queue_page=page_number - 1),
)
right.button(
    "Next page",
    key="page_next",
    disabled=page_number + 1 >= pages,
    on_click=lambda: st.session_state.update(queue_page=page_number + 1),
)
st.caption(f"Page {page_number + 1} of {pages}")
