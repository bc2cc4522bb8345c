"""One finding: its code, rule, CWE, every tool that flagged it, its lifecycle, similar past
findings with their labels and remediations, the suggestion, the CWE guideline; and the
verdict buttons (keyboard: T, F, I, S skip, N next, P previous, U undo)."""

from __future__ import annotations

import streamlit as st

from core.verdict import DECISIVE, Verdict
from labeling_ui import workbench
from labeling_ui.review_desk import QueueFilter
from store.accounts import allowed
from store.errors import StoreError
from store.labels import ConcurrentEdit, add_label, undo_last_label

me = workbench.require("label")
desk = workbench.desk()
engine = workbench.store().engine
where = QueueFilter(**st.session_state.get("queue_filter", {}))
history: list[int] = st.session_state.setdefault("history", [])

finding_id = st.session_state.get("finding_id")
if finding_id is None and "finding" in st.query_params:
    try:
        finding_id = int(st.query_params["finding"])
    except ValueError:
        st.error(f"?finding={st.query_params['finding']!r} is not a finding id")
        st.stop()
if finding_id is None:
    upcoming = desk.upcoming(me["username"], where)
    st.session_state["upcoming"] = upcoming
    finding_id = upcoming[0] if upcoming else None
if finding_id is None:
    st.success("The queue is empty: nothing to review.")
    st.stop()

view = desk.finding(finding_id, me["username"], lead=allowed(me["role"], "adjudicate"))
if view is None:
    st.error(f"Finding {finding_id} does not exist.")
    st.stop()
st.session_state["finding_id"] = finding_id
st.query_params["finding"] = str(finding_id)
record = view.record


def go(target: int | None, *, remember: bool = True) -> None:
    if remember and (not history or history[-1] != finding_id):
        history.append(finding_id)
    if target is None:
        st.session_state.pop("finding_id", None)
        st.query_params.pop("finding", None)
    else:
        st.session_state["finding_id"] = target
    st.rerun()


def next_finding() -> int | None:
    upcoming = desk.upcoming(
        me["username"], where, finding_id, st.session_state.get("upcoming", [])
    )
    st.session_state["upcoming"] = upcoming
    return upcoming[0] if upcoming else None


def refresh_index() -> None:
    """Keep the vector index's payload (label, remediation) in step with the store."""
    index = workbench.index()
    if not isinstance(index, str):
        try:
            index.refresh_payloads(workbench.store(), [finding_id])
        except Exception as exc:  # the label is stored; the index catches up on `flywheel embed`
            st.toast(f"vector index not updated: {exc}")


# Header --------------------------------------------------------------------------------------
st.title(f"Finding {record.id}: {record.rule_name or record.rule_id}")
badges = f":red-badge[{record.severity}] :gray-badge[{record.status}] :blue-badge[{record.kind}]"
st.markdown(badges)
st.markdown(
    " · ".join(f"[CWE-{c}: {name}]({link})" for c, name, link in view.cwes) or "no CWE given"
)
st.markdown(f"**{record.tool}** `{record.rule_id}` — {record.message}")
tools = sorted({g["tool"] for g in view.group})
st.caption(
    f"Flagged by {len(tools)} tool(s): {', '.join(tools)} "
    f"(cross-tool group of {len(view.group)} finding(s))"
)

code_column, side = st.columns([3, 2])
with code_column:
    st.markdown(f"`{record.repository}` / `{record.service}` — `{record.path}:{record.start_line}`")
    if record.snippet:
        st.html(workbench.finding_code_html(record))
    else:
        st.info("No code context was captured for this finding (no checkout at ingest).")
    if record.fix_guidance:
        st.markdown("**Fix guidance**")
        st.markdown(record.fix_guidance)
    lifecycle = [f"first seen {record.first_seen_at:%Y-%m-%d %H:%M}"]
    lifecycle += [
        f"{e.event} {e.at:%Y-%m-%d %H:%M}" + (f" at {e.commit[:10]}" if e.commit else "")
        for e in view.events
    ]
    st.caption("Lifecycle: " + " → ".join(lifecycle))

with side:
    if view.suggestion and view.suggestion.suggested_label:
        s = view.suggestion
        st.info(
            f"**Suggestion** (not a label): {s.suggested_label.replace('_', ' ')} "
            f"with confidence {s.confidence:.0%} ({s.method}, from past reviewers' labels)"
        )
    for cwe, text in view.guidelines:
        with st.expander(f"Guideline for CWE-{cwe}", expanded=True):
            st.markdown(text)
    st.markdown("**Similar past findings**")
    index = workbench.index()
    if isinstance(index, str):
        st.caption(index)
    else:
        try:
            neighbours = index.similar(finding_id, k=5)
        except Exception as exc:
            neighbours = []
            st.caption(str(exc))
        if neighbours:
            remediations = {
                n.finding_id: next(
                    (
                        x.fixed_code
                        for x in reversed(workbench.store().labels(n.finding_id))
                        if x.fixed_code
                    ),
                    None,
                )
                for n in neighbours
                if n.payload.get("label")
            }
            st.dataframe(
                [
                    {
                        "id": n.finding_id,
                        "similarity": round(n.score, 3),
                        "label": n.payload.get("label") or "",
                        "rule": n.payload.get("rule_id"),
                        "location": f"{n.payload.get('path')}:{n.payload.get('line')}",
                        "remediation": (remediations.get(n.finding_id) or "")[:80],
                    }
                    for n in neighbours
                ],
                hide_index=True,
                key="similar_table",
            )

# Labels ------------------------------------------------------------------------------------
if view.own is not None:
    st.success(
        f"Your label: **{view.own.verdict.replace('_', ' ')}**"
        + (f" — {view.own.note}" if view.own.note else "")
        + " (labelling again replaces it)"
    )
if view.others is not None and view.others:
    st.markdown("**Other labels**")
    st.dataframe(
        [
            {
                "reviewer": x.reviewer,
                "verdict": x.verdict,
                "kind": x.kind,
                "note": x.note or "",
                "source": x.source,
                "at": x.created_at.strftime("%Y-%m-%d %H:%M"),
            }
            for x in view.others
        ],
        hide_index=True,
        key="others_table",
    )
elif view.own is None:
    st.caption("Other reviewers' verdicts are shown after you give yours.")
if view.state and view.state.final_verdict:
    st.warning(f"Adjudicated by {view.state.adjudicated_by}: {view.state.final_verdict} (final).")

note = st.text_area("Note (required for 'needs more information')", key=f"note_{finding_id}")
with st.expander("Remediation (for a true positive)", expanded=False):
    fixed_code = st.text_area(
        "Fixed code",
        value=record.snippet or record.flagged_text or "",
        height=260,
        key=f"fixed_code_{finding_id}",
    )
    fixing_commit = st.text_input(
        "Fixing commit", value=record.fixed_commit or "", key=f"fixing_commit_{finding_id}"
    )


def label(verdict: Verdict) -> None:
    code = fixed_code if fixed_code.strip() and fixed_code != (record.snippet or "") else None
    try:
        add_label(
            engine,
            finding_id,
            me["username"],
            verdict,
            fixed_code=code if verdict == Verdict.TRUE_POSITIVE else None,
            fixing_commit=(fixing_commit or None) if verdict == Verdict.TRUE_POSITIVE else None,
            note=note or None,
        )
    except (StoreError, ConcurrentEdit) as exc:
        st.error(str(exc))
        return
    refresh_index()
    st.session_state["last_labelled"] = finding_id
    st.toast(f"Finding {finding_id}: {verdict.replace('_', ' ')}")
    go(next_finding())


buttons = st.columns(7)
if buttons[0].button("True positive", key="verdict_tp", shortcut="T", type="primary"):
    label(Verdict.TRUE_POSITIVE)
if buttons[1].button("False positive", key="verdict_fp", shortcut="F"):
    label(Verdict.FALSE_POSITIVE)
if buttons[2].button("Needs info", key="verdict_info", shortcut="I"):
    label(Verdict.NEEDS_INFO)
if buttons[3].button("Skip", key="skip", shortcut="S"):
    go(next_finding())
if buttons[4].button("Previous", key="previous", shortcut="P", disabled=not history):
    st.session_state["finding_id"] = history.pop()
    st.rerun()
if buttons[5].button("Next", key="next", shortcut="N"):
    go(next_finding())
if buttons[6].button("Undo last label", key="undo", shortcut="U"):
    try:
        undone = undo_last_label(engine, me["username"])
    except StoreError as exc:
        st.error(str(exc))
    else:
        if undone is None:
            st.info("You have no label to undo.")
        else:
            st.session_state["finding_id"] = undone.finding_id
            st.toast(f"Undid your {undone.verdict} on finding {undone.finding_id}")
            st.rerun()

# Bulk ----------------------------------------------------------------------------------------
with st.expander("Apply a verdict to near-identical findings"):
    candidates: dict[int, str] = {
        i: "same cross-tool group" for i in desk.same_group(view, me["username"])
    }
    index = workbench.index()
    if not isinstance(index, str):
        threshold = workbench.settings().bulk_similarity
        try:
            for other, score in desk.similar_in_queue(finding_id, me["username"], index, threshold):
                candidates.setdefault(other, f"similarity {score:.3f}")
        except Exception as exc:
            st.caption(str(exc))
    if not candidates:
        st.caption("No near-identical findings are waiting in your queue.")
    else:
        chosen = st.multiselect(
            "Findings",
            list(candidates),
            default=list(candidates),
            format_func=lambda i: f"#{i} ({candidates[i]})",
            key=f"bulk_ids_{finding_id}",
        )
        verdict = st.radio(
            "Verdict",
            [v.value for v in DECISIVE],
            horizontal=True,
            key=f"bulk_verdict_{finding_id}",
        )
        listing = ", ".join(f"#{i}" for i in chosen)
        confirm = st.checkbox(
            f"Label {len(chosen)} finding(s) {verdict.replace('_', ' ')}: {listing}",
            key=f"bulk_confirm_{finding_id}",
        )
        if st.button("Apply to the selection", key="bulk_apply", disabled=not (confirm and chosen)):
            try:
                done = desk.bulk_label(chosen, me["username"], verdict, note=note or None)
            except StoreError as exc:
                st.error(str(exc))
            else:
                st.success(f"Labelled {len(done)} finding(s) {verdict.replace('_', ' ')}.")
