"""The registered version is visible in the MLflow UI: `mlflow server` over a SQLite store
with one registered version, opened in Chromium; screenshot in .artifacts/screenshots."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from registry.tracking import ModelRegistry
from tests.review.test_browser import CHROMIUM, SCREENSHOTS, chromium_or_skip, free_port
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
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mlflow did not start"
                time.sleep(0.5)
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
        server.terminate()
        server.wait(timeout=30)
