"""The registered version is visible in the MLflow UI: `mlflow server` over a SQLite store
with one registered version, opened in Chromium; screenshot in .artifacts/screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.tracking import ModelRegistry
from tests.review.test_browser import CHROMIUM, SCREENSHOTS, chromium_or_skip
from tests.servers import mlflow_server
from tests.training.test_registry import _log

pytestmark = pytest.mark.browser


def test_the_registered_version_shows_in_the_mlflow_ui(tmp_path: Path):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    registry = ModelRegistry(store, "flywheel-coder", tmp_path / "artifacts")
    _log(registry, tmp_path, "first")
    with mlflow_server(store, tmp_path / "server.log") as url:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/#/models/flywheel-coder", wait_until="load")
            page.get_by_text("Version 1").first.wait_for(timeout=30_000)
            assert page.get_by_text("@challenger").count() or page.get_by_text("challenger").count()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "mlflow-model.png"), full_page=True)
            browser.close()
        print(f"screenshot: {SCREENSHOTS / 'mlflow-model.png'}")
