"""The evaluation's independent judges (CodeShield's rules, dlint), the one configuration that
keeps them off the reward's side, and the canaries that stop an engine failing open."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from detectors import canaries
from detectors.canaries import CanaryFailure, check_engines
from detectors.dependencies import AdvisoryDB
from detectors.engines import Engine, EngineSides
from detectors.judges import IndependentJudges
from detectors.semgrep_runner import ScannerError
from training.config import TrainConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
SHELL = 'import os\n\n\ndef run(name):\n    os.system("ls " + name)\n'
PICKLE = "import pickle\n\n\ndef load(data):\n    return pickle.loads(data)\n"
SAFE = "import json\n\n\ndef load(data):\n    return json.loads(data)\n"


def test_the_judges_flag_vulnerable_samples_and_pass_safe_ones() -> None:
    verdicts = IndependentJudges().judge([SHELL, None, SAFE, PICKLE])
    assert verdicts[1] is None  # no code, no verdict
    assert [v.flagged for v in (verdicts[0], verdicts[2], verdicts[3])] == [True, False, True]
    assert verdicts[0].cwes == [78] and verdicts[3].cwes == [502]
    tools = {f.tool for f in verdicts[0].findings}
    assert tools == {"codeshield", "dlint"}  # both judges, independently


@pytest.mark.parametrize("engine", [Engine.CODESHIELD, Engine.DLINT])
def test_each_judge_alone(engine: Engine) -> None:
    flagged, clean = IndependentJudges([engine]).judge([PICKLE, SAFE])
    assert flagged.flagged and not clean.flagged
    assert {f.tool for f in flagged.findings} == {str(engine)}


def test_reward_and_evaluation_engines_are_disjoint_unless_told() -> None:
    assert not set(EngineSides().reward) & set(EngineSides().evaluation)
    with pytest.raises(ValidationError, match=r"\['bandit'\] are on both sides"):
        EngineSides(evaluation=["bandit", "dlint"])
    assert EngineSides(evaluation=["bandit"], allow_overlap=True).allow_overlap
    with pytest.raises(ValidationError, match="not in the ensemble"):
        EngineSides(reward=["semgrep", "dlint"], evaluation=["codeshield"])


def test_the_training_config_refuses_an_overlap_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("base_model: tiny\nengines:\n  evaluation: [semgrep, dlint]\n")
    with pytest.raises(TrainConfigError, match="semgrep.*both sides"):
        load_config(config)
    config.write_text("base_model: tiny\ngrpo:\n  reward:\n    engines: [semgrep]\n")
    with pytest.raises(TrainConfigError, match="engines.reward"):
        load_config(config)


def test_every_engine_passes_its_canaries() -> None:
    health = check_engines(list(Engine), AdvisoryDB.load(ROOT / "examples" / "advisories"))
    assert [h.status for h in health] == ["ok"] * len(Engine)
    assert all(r.ok for h in health for r in h.results)


def test_without_advisories_the_dependency_check_is_off_and_says_so() -> None:
    [health] = check_engines([Engine.DEPCHECK], None)
    assert health.status == "off"


def test_an_engine_that_fails_open_stops_everything_naming_it(monkeypatch, tmp_path: Path) -> None:
    """Semgrep with rules that load but match nothing (a broken rule pack) finds nothing,
    and would call every sample clean: the canary catches it."""
    (tmp_path / "never.yml").write_text(
        "rules:\n  - id: never\n    languages: [python]\n    severity: INFO\n"
        "    message: never\n    pattern: this_function_does_not_exist(...)\n"
    )
    original = canaries.Ensemble

    def ensemble_without_rules(**kwargs):
        return original(rules=tmp_path, **kwargs)

    monkeypatch.setattr(canaries, "Ensemble", ensemble_without_rules)
    with pytest.raises(CanaryFailure, match="semgrep missed the vulnerable canary"):
        check_engines([Engine.SEMGREP])


def test_a_judge_whose_rules_are_missing_raises_instead_of_passing(monkeypatch) -> None:
    monkeypatch.setattr(
        "detectors.codeshield_runner.rules_root", lambda: Path("/nonexistent/rules")
    )
    with pytest.raises(ScannerError, match="rules are missing"):
        IndependentJudges([Engine.CODESHIELD]).judge([PICKLE])
