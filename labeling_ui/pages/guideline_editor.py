"""Per-CWE guidelines: everyone reads them; leads write them."""

from __future__ import annotations

import streamlit as st

from core.cwe import cwe_name
from labeling_ui import workbench
from store.accounts import allowed
from store.errors import StoreError
from store.guidelines import guideline, guidelines, save_guideline

me = workbench.require("guidelines.read")
engine = workbench.store().engine
st.title("Guidelines per CWE")
written = guidelines(engine)
for g in written:
    with st.expander(f"CWE-{g.cwe}: {cwe_name(g.cwe)} (v{g.version}, {g.updated_by})"):
        st.markdown(g.text)
if not written:
    st.caption("No guideline written yet.")

if allowed(me["role"], "guidelines.edit"):
    st.subheader("Write or edit a guideline")
    cwe = st.number_input("CWE", min_value=1, max_value=99999, value=89, key="guideline_cwe")
    current = guideline(engine, int(cwe))
    st.caption(cwe_name(int(cwe)))
    text = st.text_area(
        "Markdown",
        value=current.text if current else "",
        height=220,
        key=f"guideline_text_{cwe}",
    )
    if st.button("Save guideline", key="guideline_save", disabled=not text.strip()):
        try:
            saved = save_guideline(
                engine,
                int(cwe),
                text,
                me["username"],
                expected_version=current.version if current else 0,
            )
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved CWE-{saved.cwe} guideline, version {saved.version}.")
