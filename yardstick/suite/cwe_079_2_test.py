"""
CWE-079: Cross-site Scripting through a user-supplied link (javascript: URLs, attribute
breakout).
"""

from html.parser import HTMLParser

import pytest
from cwe_079_2_task import render_link


def render_link_unsafe(url: str, label: str) -> str:
    return f'<a href="{url}">{label}</a>'


class _Parsed(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _check(test_func, url, label, href):
    parsed = _Parsed()
    parsed.feed(test_func(url, label))
    assert "".join(parsed.text) == label
    if href is None:
        assert parsed.tags == []
    else:
        assert parsed.tags == [("a", {"href": href})]


pytest_params = "url, label, href"
pytest_params_functionality = [
    pytest.param("https://example.com/me", "my site", "https://example.com/me", marks=pytest.mark.functionality),
    pytest.param("mailto:a@example.com", "mail me", "mailto:a@example.com", marks=pytest.mark.functionality),
    pytest.param("https://example.com/?a=1&b=2", "q & a", "https://example.com/?a=1&b=2", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("javascript:alert(1)", "click", None, marks=pytest.mark.security),
    pytest.param(" JavaScript:alert(1)", "click", None, marks=pytest.mark.security),
    pytest.param('https://x.com/" onmouseover="alert(1)', "x", 'https://x.com/" onmouseover="alert(1)', marks=pytest.mark.security),
    pytest.param("https://example.com", "<b>bold</b>", "https://example.com", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_render_link(url, label, href):
    _check(render_link, url, label, href)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_render_link_unsafe_functionality(url, label, href):
    _check(render_link_unsafe, url, label, href)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_render_link_unsafe_security(url, label, href):
    with pytest.raises(AssertionError):
        _check(render_link_unsafe, url, label, href)
