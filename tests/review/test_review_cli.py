"""`flywheel users ...` and `flywheel labels ...` on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from store import FindingsStore
from store.labels import add_label


@pytest.fixture
def home(seeded_home: FindingsStore) -> FindingsStore:
    return seeded_home


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def test_users_add_list_disable(home) -> None:
    result = invoke(
        "users",
        "add",
        "alice",
        "--role",
        "lead",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert invoke("users", "add", "bob", "--password-stdin", stdin="short\n").exit_code == 2
    assert (
        invoke(
            "users",
            "add",
            "carol",
            "--role",
            "boss",
            "--password-stdin",
            stdin="correct horse battery\n",
        ).exit_code
        == 2
    )
    assert (
        invoke("users", "add", "sso", "--no-password", "--email", "sso@example.com").exit_code == 0
    )
    assert invoke("users", "disable", "alice").exit_code == 0
    assert invoke("users", "disable", "nobody").exit_code == 2
    listed = [json.loads(line) for line in invoke("users", "list", "--json").output.splitlines()]
    assert [(u["username"], u["role"], u["active"], u["sso_only"]) for u in listed] == [
        ("alice", "lead", False, False),
        ("sso", "reviewer", True, True),
    ]


def test_labels_export_and_import(home, tmp_path: Path) -> None:
    finding = home.findings()[0].id
    add_label(home.engine, finding, "alice", "true_positive", fixed_code="safe()")
    out = tmp_path / "labels.jsonl"
    result = invoke("labels", "export", str(out), "--dataset", str(tmp_path / "ds"))
    assert result.exit_code == 0 and "1 labelled findings" in result.output
    assert (tmp_path / "ds" / "dataset_info.json").exists()
    again = invoke("labels", "import", str(out), "--json")
    assert json.loads(again.output)["already"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    result = invoke("labels", "import", str(bad))
    assert result.exit_code == 2 and "bad.jsonl: line 1 is not JSON" in result.output.replace(
        "\n", ""
    )
    assert invoke("labels", "import", "--format", "xml", str(bad)).exit_code == 2
    assert invoke("labels", "import", "--format", "defectdojo").exit_code == 2
    assert (
        json.loads(invoke("labels", "import", "--format", "sarif", "--json").output)["imported"]
        == 0
    )
