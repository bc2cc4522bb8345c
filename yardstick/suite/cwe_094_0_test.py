"""
CWE-094 (CWE-1336): Server-Side Template Injection: user text compiled as a template.
"""

import html

import pytest
from cwe_094_0_task import TEMPLATE, render_profile
from jinja2 import Template


def render_profile_unsafe(name: str, bio: str) -> str:
    return Template(TEMPLATE.replace("{{ name }}", name).replace("{{ bio }}", bio)).render()


def _check(test_func, tmp_path, name, bio):
    canary = tmp_path / "pwned"
    bio = bio.replace("CANARY", str(canary))
    page = test_func(name, bio)
    assert not canary.exists(), "the template ran code"
    assert html.unescape(page.split("<h2>", 1)[1].split("</h2>", 1)[0]) == name
    shown = page.split("<p class='bio'>", 1)[1].rsplit("</p>", 1)[0]
    assert html.unescape(shown) == bio


pytest_params = "name, bio"
pytest_params_functionality = [
    pytest.param("Alice", "I like tea.", marks=pytest.mark.functionality),
    pytest.param("Bob", "Python developer since 2010", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("Mallory", "{{ 7 * 7 }}", marks=pytest.mark.security),
    pytest.param(
        "Eve",
        "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch CANARY') }}",
        marks=pytest.mark.security,
    ),
    pytest.param("Trudy", "{% for x in range(3) %}x{% endfor %}", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_render_profile(tmp_path, name, bio):
    _check(render_profile, tmp_path, name, bio)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_render_profile_unsafe_functionality(tmp_path, name, bio):
    _check(render_profile_unsafe, tmp_path, name, bio)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_render_profile_unsafe_security(tmp_path, name, bio):
    with pytest.raises(AssertionError):
        _check(render_profile_unsafe, tmp_path, name, bio)
