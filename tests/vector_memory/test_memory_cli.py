"""`flywheel embed / similar / label / suggest / eval-triage` and the `finding_embeddings`
Dagster asset, end to end on the sample service's reports."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import seed_models

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, onnx_cache: Path) -> Path:
    seed_models(tmp_path / "home", onnx_cache)  # the CLI finds the export in its cache
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    # The bundled sample's reports with code context: what `flywheel run` collects first.
    reports = [
        str(p) for p in sorted((ROOT / "examples" / "reports").iterdir()) if p.suffix != ".md"
    ]
    sample = str(ROOT / "examples" / "sample_service")
    code, output = invoke("ingest", *reports, "--repo", sample, "--service", "sample-service")
    assert code == 0, output
    return tmp_path / "home"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_embed_label_similar_suggest(home: Path) -> None:
    code, output = invoke("embed", "--json")
    assert code == 0, output
    assert lines(output)[-1] | {"collection": None} == {
        "embedded": 52,
        "payloads_updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "points": 52,
        "collection": None,
    }
    code, output = invoke("embed", "--json")
    assert lines(output)[-1]["unchanged"] == 52

    for finding_id, verdict in (
        (1, "tp"),
        (2, "fp"),
        (3, "tp"),
        (4, "fp"),
        (5, "tp"),
        (6, "fp"),
        (7, "tp"),
        (8, "fp"),
    ):
        code, output = invoke("label", str(finding_id), verdict, "--reviewer", "alice")
        assert code == 0, output
    code, output = invoke("embed", "--json")
    assert lines(output)[-1]["payloads_updated"] == 8 and lines(output)[-1]["embedded"] == 0

    code, output = invoke("similar", "1", "-k", "3", "--labelled", "--json")
    assert code == 0, output
    neighbours = lines(output)
    assert len(neighbours) == 3 and all(
        n["label"] in ("true_positive", "false_positive") for n in neighbours
    )
    assert 1 not in [n["finding_id"] for n in neighbours]

    code, output = invoke("suggest", "--json", "--limit", "50")
    assert code == 0, output
    queue = lines(output)
    assert len(queue) == 52 - 8  # every open, unlabelled finding
    assert all(item["suggestion"] and item["method"] == "classifier" for item in queue)
    assert [item["priority"] for item in queue] == sorted(
        (item["priority"] for item in queue), reverse=True
    )
    code, output = invoke("findings", "--json")
    assert code == 0  # suggestions are not labels: the store still has 8 labels only


@pytest.mark.parametrize(
    "args, message",
    [
        (("similar", "999"), "finding 999 is not in the index"),
        (("label", "999", "tp", "--reviewer", "a"), "finding 999 does not exist"),
        (("label", "1", "maybe", "--reviewer", "a"), "verdict 'maybe' is not one of"),
        (
            ("label", "1", "tp", "--reviewer", "a", "--fixed-code", "/nonexistent.py"),
            "/nonexistent.py: cannot be read",
        ),
        (("eval-triage", "/nonexistent"), "not an OWASP BenchmarkPython folder"),
    ],
)
def test_bad_input_is_named(home: Path, args: tuple[str, ...], message: str) -> None:
    code, output = invoke(*args)
    assert code == 2 and message in output, output


def test_eval_triage_on_a_small_benchmark(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "bench"
    (root / "testcode").mkdir(parents=True)
    rows = ["# name,category,vulnerable,cwe"]
    for i in range(40):
        vulnerable = i % 2 == 0
        source = "request.args.get('q')" if vulnerable else "'constant'"
        (root / "testcode" / f"Case{i:03d}.py").write_text(
            "import subprocess\nfrom flask import request\n\n\n"
            f"def handler_{i}():\n    cmd = {source}\n"
            "    return subprocess.run('ls ' + cmd, shell=True)\n"
        )
        rows.append(f"Case{i:03d},cmdi,{str(vulnerable).lower()},78")
    (root / "expectedresults-0.1.csv").write_text("\n".join(rows) + "\n")
    code, output = invoke("eval-triage", str(root), "--seeds", "2", "--json")
    assert code == 0, output
    figures = lines(output)[-1]
    assert set(figures) >= {
        "mcc_at_10",
        "mcc_at_30",
        "mcc_at_50",
        "fp_dismissed_at_30",
        "labels_to_mcc_05_active",
        "labels_to_mcc_05_random",
    }
    assert -1 <= figures["mcc_at_30"] <= 1


def test_finding_embeddings_asset_materializes(home: Path) -> None:
    from core.settings import load_settings
    from orchestration.assets.embeddings import finding_embeddings
    from orchestration.definitions import build_definitions

    definitions = build_definitions(load_settings())
    dg.Definitions.validate_loadable(definitions)
    result = dg.materialize([finding_embeddings], resources=definitions.resources)
    assert result.success
    metadata = result.asset_materializations_for_node("finding_embeddings")[0].metadata
    assert metadata["points"].value == 52 and metadata["embedded"].value == 52
