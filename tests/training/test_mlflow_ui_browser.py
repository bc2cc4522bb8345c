"""The registered version is visible in the MLflow UI: `mlflow server` over a SQLite store
with one registered version, opened in Chromium; screenshot in .artifacts/screenshots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from registry.tracking import ModelRegistry
from tests.review.test_browser import CHROMIUM, SCREENSHOTS, chromium_or_skip
from tests.servers import free_port, stop, wait_for_http
from tests.training.test_registry import _log

pytestmark = pytest.mark.browser


def test_the_registered_version_shows_in_the_mlflow_ui(tmp_path: Path):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    registry = ModelRegistry(store, "flywheel-coder", tmp_path / "artifacts")
    _log(registry, tmp_path, "first")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            store,
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", server, tmp_path / "server.log", "mlflow server", 90)
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
    finally:
        stop(server)
