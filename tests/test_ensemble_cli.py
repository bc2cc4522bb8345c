"""`flywheel scan`, `flywheel score` and `flywheel eval-detector` end to end: real Semgrep and
Bandit runs, real stores, and every bad input named with its file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.shared_data import shared_path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample_service"
ADVISORIES = ROOT / "examples" / "advisories"

SECURE = (
    "import hashlib\n\n\ndef digest(data: bytes) -> str:\n"
    "    return hashlib.sha256(data).hexdigest()\n\n\nprint(digest(b'x'))\n"
)
VULNERABLE = (
    "import subprocess\n\n\ndef ping(host):\n"
    '    return subprocess.run("ping " + host, shell=True, capture_output=True)\n'
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_ADVISORY_DB"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


# --------------------------------------------------------------------------- scan


def test_scan_finds_the_sample_services_planted_weaknesses(home: Path) -> None:
    code, output = invoke("scan", str(SAMPLE), "--advisories", str(ADVISORIES), "--json")
    assert code == 0, output
    document = json_lines(output)[-1]
    counted = {(f["path"], f["cwe"]) for f in document["findings"] if f["counted"]}
    cwes = {cwe for _, cwe in counted}
    assert {78, 89, 502}.issubset(cwes), counted
    tools = {f["tool"] for f in document["findings"]}
    assert tools == {"semgrep", "bandit", "depcheck"}
    assert any((f["package"] or "").lower() == "pyyaml" for f in document["findings"])
    assert document["ingested"] is None


def test_scan_ingest_twice_is_unchanged_the_second_time(home: Path, tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    shutil.copytree(SAMPLE, tree)
    code, output = invoke("scan", str(tree), "--ingest", "--service", "svc", "--json")
    assert code == 0, output
    first = json_lines(output)[-1]["ingested"]
    assert first["status"] == "ingested" and first["counts"]["new"] > 0
    code, output = invoke("scan", str(tree), "--ingest", "--service", "svc", "--json")
    assert code == 0, output
    assert json_lines(output)[-1]["ingested"]["status"] == "unchanged"
    # Fix the planted shell injection: the next scan closes that finding.
    ops = tree / "app" / "ops.py"
    ops.write_text(ops.read_text().replace("shell=True", "shell=False"))
    code, output = invoke("scan", str(tree), "--ingest", "--service", "svc", "--json")
    assert code == 0, output
    assert json_lines(output)[-1]["ingested"]["counts"].get("fixed", 0) >= 1


def test_scan_one_file_prints_a_table(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "ping.py"
    file.write_text(VULNERABLE)
    code, output = invoke("scan", str(file))
    assert code == 0, output
    assert "ping.py" in output and "make the code vulnerable" in output


def test_scan_missing_path_is_named(home: Path, tmp_path: Path) -> None:
    code, output = invoke("scan", str(tmp_path / "missing"))
    assert code == 2 and "missing: no such file or directory" in output, output


def test_scan_bad_advisory_folder_is_named(home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "advisories"
    broken.mkdir()
    (broken / "X-1.json").write_text("{not json")
    code, output = invoke("scan", str(SAMPLE), "--advisories", str(broken))
    assert code == 2 and "X-1.json" in output, output


def test_scan_does_not_store_anything_without_ingest(home: Path) -> None:
    code, output = invoke("scan", str(SAMPLE / "app" / "ops.py"))
    assert code == 0, output
    assert not (home / "findings.db").exists()


# --------------------------------------------------------------------------- score


def test_score_labels_and_rewards_each_file(home: Path, tmp_path: Path) -> None:
    secure, vulnerable = tmp_path / "secure.py", tmp_path / "vulnerable.py"
    secure.write_text(SECURE)
    vulnerable.write_text(VULNERABLE)
    completion = tmp_path / "completion.md"
    completion.write_text(f"Sure:\n\n```python\n{VULNERABLE}```\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pyyaml==5.3\n")
    files = [secure, vulnerable, completion, requirements]
    code, output = invoke("score", *map(str, files), "--advisories", str(ADVISORIES), "--json")
    assert code == 0, output
    lines = {Path(line["file"]).name: line for line in json_lines(output)}
    assert lines["secure.py"]["label"] == "clean" and lines["secure.py"]["reward"] == 1.0
    assert lines["vulnerable.py"]["label"] == "static-vulnerable"
    assert lines["vulnerable.py"]["reward"] < 0.5
    assert lines["completion.md"]["reward"] == lines["vulnerable.py"]["reward"]
    assert lines["requirements.txt"]["label"] == "dependency-vulnerable"


def test_score_runs_unit_tests(home: Path, tmp_path: Path) -> None:
    solution = tmp_path / "solution.py"
    solution.write_text(SECURE)
    tests = tmp_path / "test_solution.py"
    tests.write_text(
        "from solution import digest\n\n\ndef test_len():\n    assert len(digest(b'a')) == 64\n"
        "\n\ndef test_wrong():\n    assert digest(b'a') == ''\n"
    )
    code, output = invoke("score", str(solution), "--tests", str(tests), "--json")
    assert code == 0, output
    line = json_lines(output)[0]
    assert (line["tests"]["passed"], line["tests"]["total"]) == (1, 2)
    assert line["reward"] == 0.5  # functionality (the tests' pass rate) x size x security


def test_score_warns_when_dependencies_are_not_checked(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text(SECURE)
    code, output = invoke("score", str(file))
    assert code == 0, output
    assert "reward 1.000" in output and "dependencies not checked" in output


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.py", None, "missing.py: no such file"),
        ("folder", "dir", "folder: is a directory"),
        ("latin1.py", b"x = '\xe9'\n", "latin1.py: not UTF-8 text (byte 5)"),
    ],
)
def test_score_bad_file_is_named_and_nothing_is_scored(
    home: Path, tmp_path: Path, name: str, content, message: str
) -> None:
    good = tmp_path / "good.py"
    good.write_text(SECURE)
    bad = tmp_path / name
    if content == "dir":
        bad.mkdir()
    elif isinstance(content, bytes):
        bad.write_bytes(content)
    code, output = invoke("score", str(good), str(bad), "--json")
    assert code == 2 and message in output, output
    assert not json_lines(output), "a partial result was printed"


def test_score_bad_tests_file_is_named(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text(SECURE)
    code, output = invoke("score", str(file), "--tests", str(tmp_path / "nope.py"))
    assert code == 2 and "nope.py: no such file" in output, output


def test_score_bad_advisory_folder_is_named(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "a.py"
    file.write_text(SECURE)
    code, output = invoke("score", str(file), "--advisories", str(tmp_path / "none"))
    assert code == 2 and "none" in output, output


# --------------------------------------------------------------------------- eval-detector


def _fake_benchmark(root: Path) -> Path:
    """Four cases in BenchmarkPython's layout: two vulnerable, two safe look-alikes."""
    (root / "testcode").mkdir(parents=True)
    cases = {
        "T1": (True, 78, VULNERABLE),
        "T2": (
            False,
            78,
            "import subprocess\n\n\ndef ping(host):\n    return subprocess.run(['ping', host])\n",
        ),
        "T3": (True, 502, "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"),
        "T4": (False, 502, "import json\n\n\ndef load(blob):\n    return json.loads(blob)\n"),
    }
    rows = ["# test name, category, real vulnerability, cwe"]
    for name, (vulnerable, cwe, code) in cases.items():
        (root / "testcode" / f"{name}.py").write_text(code)
        rows.append(f"{name},x,{str(vulnerable).lower()},{cwe}")
    (root / "expectedresults-0.1.csv").write_text("\n".join(rows) + "\n")
    return root


def test_eval_detector_scores_a_benchmark(home: Path, tmp_path: Path) -> None:
    code, output = invoke("eval-detector", str(_fake_benchmark(tmp_path / "b")), "--json")
    assert code == 0, output
    figures = json_lines(output)[-1]
    assert figures["ensemble"]["tp"] == 2 and figures["ensemble"]["fp"] == 0
    assert figures["ensemble"]["youden"] == 1.0
    assert set(figures["tools"]) == {"semgrep", "bandit"}
    assert set(figures["per_cwe"]) == {"78", "502"}
    assert "Per CWE" in output


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("no-csv", "not an OWASP BenchmarkPython folder"),
        ("bad-row", "line 2 is not `name,category,true|false,cwe`"),
    ],
)
def test_eval_detector_bad_folder_is_named(
    home: Path, tmp_path: Path, breakage: str, message: str
) -> None:
    root = _fake_benchmark(tmp_path / "b")
    if breakage == "no-csv":
        (root / "expectedresults-0.1.csv").unlink()
    else:
        with (root / "expectedresults-0.1.csv").open("a") as handle:
            handle.write("T5,x,true,not-a-number\n")
        lines = (root / "expectedresults-0.1.csv").read_text().splitlines()
        (root / "expectedresults-0.1.csv").write_text("\n".join([lines[0], lines[-1]]) + "\n")
    code, output = invoke("eval-detector", str(root))
    assert code == 2 and message in output and "b" in output, output


@pytest.mark.shared_data
def test_eval_detector_meets_the_targets_on_benchmark_python(home: Path) -> None:
    """The committed figures (docs/detector-eval.md) must hold: Youden >= 0.75 at precision
    >= 0.70 for the ensemble on OWASP BenchmarkPython."""
    code, output = invoke(
        "eval-detector",
        str(shared_path("benchmarkpython")),
        "--benchmark",
        "owasp-python",
        "--json",
    )
    assert code == 0, output
    figures = json_lines(output)[-1]
    assert figures["ensemble"]["youden"] >= 0.85, figures["ensemble"]
    assert figures["ensemble"]["precision"] >= 0.90, figures["ensemble"]
    assert figures["tools"]["bandit"]["youden"] < figures["ensemble"]["youden"]
