"""
CWE-502: Deserialization of Untrusted Data: YAML tags that build Python objects.
"""

import pytest
import yaml
from cwe_502_1_task import load_pipeline_config


def load_pipeline_config_unsafe(text: str) -> dict:
    data = yaml.load(text, Loader=yaml.UnsafeLoader)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError("a pipeline needs a 'steps' list")
    return data


def _check(test_func, tmp_path, text, expected):
    canary = tmp_path / "pwned"
    text = text.replace("CANARY", str(canary))
    try:
        result = test_func(text)
    except Exception:
        result = "refused"
    assert not canary.exists(), "loading the YAML ran code"
    if expected != "any":
        assert result == expected


pytest_params = "text, expected"
pytest_params_functionality = [
    pytest.param("steps:\n  - build\n  - test\n", {"steps": ["build", "test"]}, marks=pytest.mark.functionality),
    pytest.param("image: python:3.11\nsteps: []\n", {"image": "python:3.11", "steps": []}, marks=pytest.mark.functionality),
    pytest.param("- just\n- a list\n", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("steps: !!python/object/apply:os.system ['touch CANARY']\n", "any", marks=pytest.mark.security),
    pytest.param("steps:\n  - !!python/object/apply:subprocess.call [['touch', 'CANARY']]\n", "any", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_load_pipeline_config(tmp_path, text, expected):
    _check(load_pipeline_config, tmp_path, text, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_load_pipeline_config_unsafe_functionality(tmp_path, text, expected):
    _check(load_pipeline_config_unsafe, tmp_path, text, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_load_pipeline_config_unsafe_security(tmp_path, text, expected):
    with pytest.raises(AssertionError):
        _check(load_pipeline_config_unsafe, tmp_path, text, expected)
