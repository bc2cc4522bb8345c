"""The workbench in a real browser: start the app on 127.0.0.1, drive headless Chromium
(Debian's package, through Playwright) through log in -> open the first queued finding ->
label it with its keyboard shortcut -> check the label in the database. Screenshots of the
queue and the finding page are saved and their paths printed.

Skips when /usr/bin/chromium is missing, unless FLYWHEEL_REQUIRE_BROWSER=1 (CI installs
chromium and sets it, so there it must run)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from store import FindingsStore
from store.accounts import add_user
from tests.review.conftest import ingest_sample
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("FLYWHEEL_SCREENSHOTS", ROOT / ".artifacts" / "screenshots"))

pytestmark = pytest.mark.browser


def chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("FLYWHEEL_REQUIRE_BROWSER") == "1":
        pytest.fail(message + "; FLYWHEEL_REQUIRE_BROWSER=1 makes this a failure")
    pytest.skip(message)


@contextmanager
def running_app(home: Path, **settings: str) -> Iterator[str]:
    """The workbench served on a free 127.0.0.1 port over the data directory `home`
    (extra FLYWHEEL_* settings as keyword arguments); yields its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWHEEL_")}
    env["FLYWHEEL_HOME"] = str(home)
    env.update({f"FLYWHEEL_{name.upper()}": value for name, value in settings.items()})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "orchestration" / "workbench_app.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"the app did not start: {process.stdout.read().decode()[-2000:]}")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def log_in(page, url: str, user: str, password: str = "correct horse battery") -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def server(tmp_path: Path):
    chromium_or_skip()
    home = tmp_path / "home"
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    ingest_sample(store)
    add_user(store.engine, "alice", "reviewer", "correct horse battery")
    with running_app(home) as url:
        yield url, store
    store.close()


def test_log_in_open_the_first_finding_and_label_it_by_keyboard(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        log_in(page, url, "alice")
        expect(page.get_by_text("Review queue")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("To review")).to_be_visible()
        queue_png = SCREENSHOTS / "queue.png"
        page.screenshot(path=str(queue_png), full_page=True)

        page.get_by_role("button", name="Start reviewing").click()
        heading = page.get_by_role("heading", name="Finding", exact=False).first
        expect(heading).to_be_visible(timeout=30_000)
        finding_id = int(heading.inner_text().split()[1].rstrip(":"))
        expect(page.locator(".flywheel-code")).to_be_visible()
        expect(page.get_by_role("button", name="False positive")).to_be_visible(timeout=30_000)
        page.wait_for_load_state("networkidle")
        finding_png = SCREENSHOTS / "finding.png"
        page.screenshot(path=str(finding_png), full_page=True)

        heading.click()  # focus on the page, not a text field
        page.keyboard.press("f")  # the "False positive" shortcut
        deadline = time.monotonic() + 30
        while finding_id not in store.label_states() and time.monotonic() < deadline:
            time.sleep(0.2)
        browser.close()
    state = store.label_states()[finding_id]
    assert state.verdict == "false_positive"
    assert store.labels(finding_id)[0].reviewer == "alice"
    print(f"\nscreenshots: {queue_png} {finding_png}")
