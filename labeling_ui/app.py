"""The reviewer workbench's frame: login, and the navigation to the pages a role may open.

`main()` runs once per script run; the entry script (`orchestration/workbench_app.py`, what
`flywheel ui` starts) installs the operations the pages need and calls it. Nothing but the
login form is visible without logging in; the navigation lists only the pages the user's role
may open, and every page checks the role again (a URL to a page is not a way around it).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from labeling_ui import workbench
from store.accounts import allowed, authenticate, user_for_email

PAGES = Path(__file__).with_name("pages")
# Page file -> (URL path, title, icon, section, capability needed); the URL paths are the
# links reviewers share (/finding?finding=14).


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
        account = authenticate(workbench.store().engine, username, password)
        if account is None:
            st.error("Unknown user, wrong password, or a disabled account.")
        else:
            st.session_state["user"] = {"username": account.username, "role": account.role}
            st.rerun()
    if _sso_configured():
        if getattr(st.user, "is_logged_in", False):
            account = user_for_email(workbench.store().engine, str(st.user.get("email", "")))
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


PAGE_TABLE = (
    ("review_queue", "queue", "Queue", ":material/list:", "Review", "label"),
    ("finding_review", "finding", "Finding", ":material/bug_report:", "Review", "label"),
    ("guideline_editor", "guidelines", "Guidelines", ":material/menu_book:", "Review", None),
    ("adjudication", "adjudication", "Adjudication", ":material/gavel:", "Leads", "adjudicate"),
    (
        "agreement_dashboard",
        "agreement",
        "Agreement",
        ":material/handshake:",
        "Leads",
        "dashboards",
    ),
    ("gate_dashboard", "gate", "Quality gate", ":material/verified:", "Leads", "dashboards"),
    ("corpus_dashboard", "corpus", "Corpus", ":material/bar_chart:", "Leads", "dashboards"),
    ("audit_log", "audit", "Audit log", ":material/history:", "Leads", "audit"),
    (
        "retraining_status",
        "retraining",
        "Retraining",
        ":material/model_training:",
        "Platform",
        "retraining",
    ),
    ("user_admin", "users", "Users", ":material/group:", "Platform", "users"),
)


def main() -> None:
    st.set_page_config(page_title="Findings Flywheel", page_icon=":material/shield:", layout="wide")
    current = workbench.user()
    if current is None:
        st.navigation([st.Page(login, title="Log in", url_path="login")], position="hidden")
        login()
        st.stop()

    role = current["role"]
    # A role's home: the queue for those who label, retraining for the platform team.
    home = "queue" if allowed(role, "label") else "retraining"
    pages: dict[str, list[st.Page]] = {}
    by_url: dict[str, st.Page] = {}
    for file, url_path, title, icon, section, capability in PAGE_TABLE:
        if capability is None or allowed(role, capability):
            by_url[url_path] = st.Page(
                PAGES / f"{file}.py",
                title=title,
                icon=icon,
                url_path=url_path,
                default=url_path == home,
            )
            pages.setdefault(section, []).append(by_url[url_path])
    workbench.register_pages(by_url)

    with st.sidebar:
        st.caption(f"Logged in as **{current['username']}** ({role})")
        st.button("Log out", on_click=logout, key="logout")

    st.navigation(pages).run()
