"""Admins manage accounts (the same as `flywheel users add|disable|enable|list`)."""

from __future__ import annotations

import streamlit as st

from labeling_ui import workbench
from store.accounts import Role, add_user, set_active, users
from store.errors import StoreError

me = workbench.require("users")
engine = workbench.store().engine
st.title("Users")
accounts = users(engine)
st.dataframe(
    [
        {"user": u.username, "role": u.role, "email": u.email or "", "active": u.active}
        for u in accounts
    ],
    hide_index=True,
    key="users_table",
)
with st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    name = st.text_input("User name", key="new_user")
    role = st.selectbox("Role", [r.value for r in Role], key="new_role")
    email = st.text_input("Email (for single sign-on)", key="new_email")
    password = st.text_input("Initial password", type="password", key="new_password")
    if st.form_submit_button("Add"):
        try:
            add_user(
                engine, name, role, password or None, email=email or None, actor=me["username"]
            )
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.success(f"Added {name} ({role}).")
            st.rerun()
others = [u.username for u in accounts if u.username != me["username"]]
if others:
    who = st.selectbox("Account", others, key="toggle_user")
    target = next(u for u in accounts if u.username == who)
    if st.button("Disable" if target.active else "Enable", key="toggle_active"):
        set_active(engine, who, not target.active, actor=me["username"])
        st.rerun()
