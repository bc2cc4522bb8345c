"""Helpers for tests that start real servers: free ports, fresh PostgreSQL databases, and
waiting for a process to answer over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import require_postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(prefix: str) -> Iterator[sa.URL]:
    """A new, empty PostgreSQL database (dropped afterwards, connections and all)."""
    base = sa.engine.make_url(require_postgres())
    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        yield base.set(database=database)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def wait_for_http(
    url: str, process: subprocess.Popen, log: Path, what: str, timeout_s: float = 120
) -> None:
    """Until `url` answers 200, or fail with the end of the process's log."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.5)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def mlflow_server(backend: str, log: Path, *extra: str) -> Iterator[str]:
    """`mlflow server` on a free 127.0.0.1 port over `backend`; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--backend-store-uri", backend, "--workers", "1", *extra]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", server, log, "mlflow server")
        yield url
    finally:
        stop(server)
