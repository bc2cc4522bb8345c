"""The leads' dashboards through Streamlit's AppTest over a seeded store: the quality gate
(now, over time, per expectation, growth toward retraining) and the corpus (per CWE, labels
per day per reviewer). Every chart carries a title and axis titles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from quality_gates.gate import run_gate
from quality_gates.thresholds import load_thresholds
from quality_gates.trigger import evaluate_trigger
from store import FindingsStore
from store.accounts import add_user
from store.gate_history import gate_history, record_promotion
from store.labels import add_label
from store.snapshots import create_snapshot
from tests.gate.conftest import TEST_THRESHOLDS, ingest_synthetic, label_corpus

APP = str(Path(__file__).resolve().parents[2] / "orchestration" / "workbench_app.py")


@pytest.fixture
def lead_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FindingsStore]:
    """A data directory with a labeled corpus, two gate runs (fail, then pass) and trigger
    evaluations; the thresholds file named by FLYWHEEL_GATE_THRESHOLDS."""
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    thresholds_path = tmp_path / "thresholds.yaml"
    thresholds_path.write_text(TEST_THRESHOLDS)
    monkeypatch.setenv("FLYWHEEL_HOME", str(home))
    monkeypatch.setenv("FLYWHEEL_GATE_THRESHOLDS", str(thresholds_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    for name, role in (
        ("alice", "reviewer"),
        ("bob", "reviewer"),
        ("lena", "lead"),
        ("pat", "platform"),
    ):
        add_user(store.engine, name, role, "correct horse battery")
    ids = ingest_synthetic(store, tmp_path, 60)
    label_corpus(store, ids[:30])
    thresholds = load_thresholds(thresholds_path)
    policy = thresholds.values.snapshot_policy(1)
    first, _ = create_snapshot(store.engine, policy)
    run_gate(store.engine, first.id, thresholds, home / "gate_reports")  # 30 labels: fails
    label_corpus(store, ids[30:], shared=0)
    evaluate_trigger(store.engine, thresholds, 1, home / "gate_reports")  # passes: fires
    yield store
    store.close()
    st.cache_resource.clear()


def app_as(user: str, role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = {"username": user, "role": role}
    return at.run()


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]


def chart_data(at: AppTest, index: int) -> pd.DataFrame:
    """The first dataset of a chart (Streamlit ships it beside the spec, as Arrow)."""
    element = at.get("vega_lite_chart")[index].proto
    return pa.ipc.open_stream(element.datasets[0].data.data).read_pandas()


def _titles(spec: dict) -> tuple[str, list[str]]:
    axes = []
    for layer in spec.get("layer", [spec]):
        for channel in ("x", "y"):
            encoding = layer.get("encoding", {}).get(channel) or spec.get("encoding", {}).get(
                channel
            )
            if encoding and encoding.get("title"):
                axes.append(encoding["title"])
    title = spec.get("title")
    return (title["text"] if isinstance(title, dict) else title), axes


def test_the_gate_dashboard_shows_now_over_time_and_growth(lead_home: FindingsStore) -> None:
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/gate_dashboard.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Quality gate"
    assert [m.value for m in at.metric] == ["PASS", "2", "0"]
    table = at.dataframe[0].value
    assert "labeled_volume" in list(table["expectation"])
    specs = chart_specs(at)
    titles = [_titles(spec)[0] for spec in specs]
    assert titles[0] == "Gate runs over time"
    assert titles[1] == "labeled_volume: observed value against its threshold"
    assert titles[2] == "Decided labels at each trigger evaluation"
    for spec in specs:
        title, axes = _titles(spec)
        assert title and len(axes) >= 2, spec
        assert all("(" in axis for axis in axes)  # every axis names its unit
    # the labeled_volume history: 30 (fail) then 60 (pass), threshold 40
    assert chart_data(at, 1)["observed"].tolist() == [30, 60]
    # another expectation's history
    at.selectbox(key="gate_expectation").set_value("true_positive_ratio").run()
    title, axes = _titles(chart_specs(at)[1])
    assert title.startswith("true_positive_ratio") and "Observed (share)" in axes
    evaluations = at.dataframe[1].value
    assert list(evaluations["fired"]) == [True]


def test_running_the_gate_from_the_dashboard_adds_to_its_history(lead_home: FindingsStore) -> None:
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/gate_dashboard.py").run()
    at.button(key="gate_run").click().run()
    assert not at.exception
    assert len(gate_history(lead_home.engine)) == 3
    assert at.metric[0].value == "PASS"


def test_the_corpus_dashboard(lead_home: FindingsStore) -> None:
    add_label(lead_home.engine, max(r.id for r in lead_home.findings()), "bob", "true_positive")
    at = app_as("pat", "platform")
    at.switch_page("../labeling_ui/pages/corpus_dashboard.py").run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric][:2] == ["59", "6"]  # bob disputes one
    titles = [_titles(spec) for spec in chart_specs(at)]
    assert [t for t, _ in titles] == [
        "Decided findings (grey) and true positives (red) per CWE class",
        "True-positive ratio per CWE class",
        "Labels per day per reviewer",
    ]
    assert all(len(axes) >= 2 for _, axes in titles)
    assert "73 labels in the last 60 days" in at.main.caption[-1].value  # 60 + 12 by bob + 1


def test_a_reviewer_cannot_open_the_dashboards(lead_home: FindingsStore) -> None:
    at = app_as("alice", "reviewer")
    for page in (
        "../labeling_ui/pages/gate_dashboard.py",
        "../labeling_ui/pages/corpus_dashboard.py",
    ):
        try:
            at.switch_page(page).run()
        except ValueError:
            continue
        assert at.error and "cannot open this page" in at.error[0].value


def test_a_bad_thresholds_file_is_shown_not_raised(
    lead_home: FindingsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("version: zero\n")
    monkeypatch.setenv("FLYWHEEL_GATE_THRESHOLDS", str(bad))
    st.cache_resource.clear()
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/gate_dashboard.py").run()
    assert not at.exception
    assert str(bad) in at.error[0].value and "version" in at.error[0].value


def test_a_reward_yardstick_gap_is_shown_and_listed(lead_home: FindingsStore) -> None:
    decision = {
        "promote": False,
        "reward_yardstick_gap": True,
        "reason": "kept base model: reward-yardstick gap: the reward's view improved",
        "candidate_independent_vulnerability_rate": 0.4,
        "independent_ci_high": 0.05,
        "candidate_func_sec_at_1": 0.0,
    }
    record_promotion(lead_home.engine, "coder", "3", decision)
    at = app_as("lena", "lead")
    at.switch_page("../labeling_ui/pages/gate_dashboard.py").run()
    assert not at.exception, at.exception
    assert "Reward-yardstick gap on coder v3" in at.error[0].value
    listed = at.dataframe[-1].value  # the last table: promotion decisions
    assert list(listed["reward-yardstick gap"]) == [True]
    assert list(listed["promoted"]) == [False]
