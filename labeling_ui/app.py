"""The reviewer workbench: `flywheel ui` (or `streamlit run labeling_ui/app.py`).

Nothing but the login form is visible without logging in; the navigation lists only the
pages the user's role may open, and every page checks the role again (a URL to a page is
not a way around it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(ROOT))

from labeling_ui import context  # noqa: E402
from labeling_ui.accounts import allowed, authenticate, user_for_email  # noqa: E402

st.set_page_config(page_title="Findings Flywheel", page_icon=":material/shield:", layout="wide")
PAGES = Path(__file__).with_name("pages")


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def login() -> None:
    st.title("Findings Flywheel: reviewer workbench")
    with st.form("login"):
        username = st.text_input("User name", key="login_user")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        account = authenticate(context.store().engine, username, password)
        if account is None:
            st.error("Unknown user, wrong password, or a disabled account.")
        else:
            st.session_state["user"] = {"username": account.username, "role": account.role}
            st.rerun()
    if _sso_configured():
        if getattr(st.user, "is_logged_in", False):
            account = user_for_email(context.store().engine, str(st.user.get("email", "")))
            if account is None:
                st.error("Your single sign-on account has no workbench user: ask an admin.")
            else:
                st.session_state["user"] = {"username": account.username, "role": account.role}
                st.rerun()
        st.button("Log in with single sign-on", on_click=st.login, key="sso_login")


def logout() -> None:
    st.session_state.clear()
    if _sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


current = context.user()
if current is None:
    st.navigation([st.Page(login, title="Log in", url_path="login")], position="hidden")
    login()
    st.stop()

role = current["role"]
# A role's home: the queue for those who label, retraining for the platform team.
home = "queue" if allowed(role, "label") else "retraining"


def page(name: str, title: str, icon: str) -> st.Page:
    return st.Page(PAGES / f"{name}.py", title=title, icon=icon, default=name == home)


pages: dict[str, list[st.Page]] = {"Review": []}
if allowed(role, "label"):
    pages["Review"] += [
        page("queue", "Queue", ":material/list:"),
        page("finding", "Finding", ":material/bug_report:"),
    ]
pages["Review"].append(page("guidelines", "Guidelines", ":material/menu_book:"))
for section, name, title, icon, capability in (
    ("Leads", "adjudication", "Adjudication", ":material/gavel:", "adjudicate"),
    ("Leads", "agreement", "Agreement", ":material/handshake:", "dashboards"),
    ("Leads", "gate", "Quality gate", ":material/verified:", "dashboards"),
    ("Leads", "corpus", "Corpus", ":material/bar_chart:", "dashboards"),
    ("Leads", "audit", "Audit log", ":material/history:", "audit"),
    ("Platform", "retraining", "Retraining", ":material/model_training:", "retraining"),
    ("Platform", "users", "Users", ":material/group:", "users"),
):
    if allowed(role, capability):
        pages.setdefault(section, []).append(page(name, title, icon))

with st.sidebar:
    st.caption(f"Logged in as **{current['username']}** ({role})")
    st.button("Log out", on_click=logout, key="logout")

st.navigation(pages).run()
