"""The Quality gate dashboard in a real browser (headless Debian Chromium through
Playwright): a lead logs in, opens it, sees the verdict and the charts; a screenshot is
saved and its path printed. Skips like the workbench's browser test."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_gates.gate import run_gate
from quality_gates.thresholds import load_thresholds
from quality_gates.trigger import evaluate_trigger
from store import FindingsStore
from store.accounts import add_user
from store.snapshots import create_snapshot
from tests.gate.conftest import TEST_THRESHOLDS, ingest_synthetic, label_corpus
from tests.review.test_browser import CHROMIUM, SCREENSHOTS, chromium_or_skip, log_in, running_app

pytestmark = pytest.mark.browser


def test_a_lead_sees_the_gate_dashboard(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium_or_skip()
    home = tmp_path / "home"
    thresholds_path = tmp_path / "thresholds.yaml"
    thresholds_path.write_text(TEST_THRESHOLDS)
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("lena", "lead")):
        add_user(store.engine, name, role, "correct horse battery")
    ids = ingest_synthetic(store, tmp_path, 60)
    label_corpus(store, ids[:30])
    thresholds = load_thresholds(thresholds_path)
    first, _ = create_snapshot(store.engine, thresholds.values.snapshot_policy(1))
    run_gate(store.engine, first.id, thresholds, home / "gate_reports")
    label_corpus(store, ids[30:], shared=0)
    evaluate_trigger(store.engine, thresholds, 1, home / "gate_reports")
    store.close()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with running_app(home, gate_thresholds=str(thresholds_path)) as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox"]
            )
            # tall enough that the screenshot holds the table and every chart
            page = browser.new_page(viewport={"width": 1400, "height": 2900})
            log_in(page, url, "lena")
            # the session holds the login: follow the navigation, do not reload the page
            page.get_by_role("link", name="Quality gate").click(timeout=30_000)
            expect(page.get_by_role("heading", name="Quality gate")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("PASS", exact=True)).to_be_visible(timeout=30_000)
            # Streamlit renders the page progressively: wait for all three charts (counting
            # once after the first appeared was flaky under load).
            charts = page.locator("[data-testid='stVegaLiteChart']")
            expect(charts).to_have_count(3, timeout=30_000)
            expect(charts.last).to_be_visible(timeout=30_000)
            page.wait_for_load_state("networkidle")
            gate_png = SCREENSHOTS / "gate.png"
            page.screenshot(path=str(gate_png), full_page=True)
            browser.close()
    assert gate_png.stat().st_size > 20_000
    print(f"\nscreenshot: {gate_png}")
