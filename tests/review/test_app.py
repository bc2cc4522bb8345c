"""Every workbench page through Streamlit's AppTest, on a store seeded with the bundled
sample's real findings. Widgets are found by their stable keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from store import FindingsStore
from store.accounts import add_user
from store.audit import audit_entries
from store.labels import add_label

APP = str(Path(__file__).resolve().parents[2] / "orchestration" / "workbench_app.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def home(seeded_home: FindingsStore) -> Iterator[FindingsStore]:
    st.cache_resource.clear()  # the app caches settings and the store per process
    st.cache_data.clear()
    for name, role in (
        ("alice", "reviewer"),
        ("lena", "lead"),
        ("pat", "platform"),
        ("root", "admin"),
    ):
        add_user(seeded_home.engine, name, role, PASSWORD)
    yield seeded_home
    st.cache_resource.clear()


def app_as(user: str | None, role: str = "reviewer") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.session_state["user"] = {"username": user, "role": role}
    return at.run()


def test_nothing_is_visible_before_logging_in(home) -> None:
    at = app_as(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]  # the form's button, nothing else
    assert not at.metric and not at.dataframe and not at.sidebar.button
    at.text_input(key="login_user").input("alice")
    at.text_input(key="login_password").input("wrong password")
    at.button[0].click().run()
    assert "Unknown user" in at.error[0].value
    assert "user" not in at.session_state


def test_login_opens_the_queue(home) -> None:
    at = app_as(None)
    at.text_input(key="login_user").input("alice")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"] == {"username": "alice", "role": "reviewer"}
    assert at.title[0].value == "Review queue"
    assert at.metric[0].value == "52"


def test_queue_filters_and_counts(home) -> None:
    at = app_as("alice")
    assert at.title[0].value == "Review queue"
    assert [m.label for m in at.metric][:3] == ["To review", "Critical", "High"]
    at.selectbox(key="f_tool").select("bandit").run()
    assert at.metric[0].value == "17"
    at.multiselect(key="f_severity").select("low").run()
    assert int(at.metric[0].value) < 17


def test_finding_page_labels_and_moves_on(home) -> None:
    at = app_as("alice")
    at.button(key="start").click().run()
    assert not at.exception
    first = at.session_state["finding_id"]
    assert at.title[0].value.startswith(f"Finding {first}:")
    assert any("flywheel-code" in h.proto.body for h in at.get("html"))  # highlighted code
    at.button(key="verdict_fp").click().run()
    assert not at.exception
    state = home.label_states([first])[first]
    assert state.verdict == "false_positive"
    assert at.session_state["finding_id"] != first  # moved to the next queued finding
    second = at.session_state["finding_id"]
    at.text_area(key=f"note_{second}").input("which input reaches it?")
    at.button(key="verdict_info").click().run()
    assert home.label_states([second])[second].verdict == "needs_info"
    at.button(key="undo").click().run()  # undo the last label: back on that finding
    assert at.session_state["finding_id"] == second
    assert second not in home.label_states()
    at.button(key="previous").click().run()
    assert not at.exception


def test_a_true_positive_keeps_the_edited_fix(home) -> None:
    at = app_as("alice")
    at.button(key="start").click().run()
    finding = at.session_state["finding_id"]
    at.text_area(key=f"fixed_code_{finding}").input("subprocess.run(['ls'], check=True)")
    at.button(key="verdict_tp").click().run()
    (label,) = home.labels(finding)
    assert (label.verdict, label.fixed_code) == (
        "true_positive",
        "subprocess.run(['ls'], check=True)",
    )


def test_adjudication_decides_a_conflict(home) -> None:
    target = home.findings()[0].id
    add_label(home.engine, target, "alice", "true_positive")
    add_label(home.engine, target, "bob", "false_positive")
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/adjudication.py").run()
    assert at.metric[0].value == "1"
    at.text_area(key=f"adjudication_note_{target}").input("reachable from the form")
    at.button(key="decide_tp").click().run()
    assert not at.exception
    assert home.label_states([target])[target].final
    assert audit_entries(home.engine, action="adjudicate")[0].actor == "lena"


def test_agreement_audit_guidelines_users_and_retraining_pages(home) -> None:
    ids = [r.id for r in home.findings()][:3]
    for finding in ids:
        add_label(home.engine, finding, "alice", "true_positive")
        add_label(
            home.engine, finding, "bob", "true_positive" if finding != ids[2] else "false_positive"
        )
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/agreement_dashboard.py").run()
    assert not at.exception and at.metric[0].value == "3"
    at.switch_page("../labeling_ui/pages/audit_log.py").run()
    assert not at.exception and "entries" in at.main.caption[0].value
    at.switch_page("../labeling_ui/pages/guideline_editor.py").run()
    at.number_input(key="guideline_cwe").set_value(78).run()
    at.text_area(key="guideline_text_78").input(
        "Flag only when user input reaches the shell."
    ).run()
    at.button(key="guideline_save").click().run()
    assert not at.exception and "version 1" in at.success[0].value

    admin = app_as("root", "admin")
    admin.switch_page("../labeling_ui/pages/user_admin.py").run()
    assert not admin.exception
    admin.text_input(key="new_user").input("newbie")
    admin.text_input(key="new_password").input(PASSWORD)
    next(b for b in admin.button if b.label == "Add").click().run()
    assert "newbie" in [row for row in admin.dataframe[0].value["user"]]

    platform = app_as("pat", "platform")
    assert platform.title[0].value == "Retraining status"  # the platform team's home
    assert not platform.exception


@pytest.mark.parametrize(
    "user, role, page",
    [
        ("alice", "reviewer", "../labeling_ui/pages/adjudication.py"),
        ("alice", "reviewer", "../labeling_ui/pages/user_admin.py"),
        ("pat", "platform", "../labeling_ui/pages/review_queue.py"),
        ("lena", "lead", "../labeling_ui/pages/user_admin.py"),
    ],
)
def test_each_page_checks_the_role(home, user, role, page) -> None:
    at = app_as(user, role)
    try:
        at.switch_page(page).run()
    except ValueError:
        return  # not even registered in this role's navigation
    assert at.error and "cannot open this page" in at.error[0].value


def test_code_keeps_its_line_numbers_and_highlights_the_flagged_line() -> None:
    from labeling_ui.workbench import code_html

    code = "\n\ndef f(x):\n    return eval(x)\n"
    rendered = code_html(code, "python", 6, range(9, 10))
    numbers = re.findall(r">(\d+)</span>", rendered.split('class="code"')[0])
    assert numbers == ["6", "7", "8", "9"]  # the leading blank lines kept their numbers
    highlighted = re.findall(
        r'<span style="background-color: #[0-9a-f]+">(.*?)\n</span>', rendered, re.S
    )
    assert len(highlighted) == 1 and "eval" in highlighted[0]
