"""
CWE-079: Cross-site Scripting in a rendered comment.
"""

from html.parser import HTMLParser

import pytest
from cwe_079_0_task import render_comment


def render_comment_unsafe(author: str, text: str) -> str:
    return f'<div class="comment"><b>{author}</b><p>{text}</p></div>'


class _Shape(HTMLParser):
    """The tags a browser would build, and the text it would show."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _check(test_func, author, text):
    shape = _Shape()
    shape.feed(test_func(author, text))
    assert shape.tags == [("div", [("class", "comment")]), ("b", []), ("p", [])]
    assert "".join(shape.text) == author + text


pytest_params = "author, text"
pytest_params_functionality = [
    pytest.param("alice", "Nice post!", marks=pytest.mark.functionality),
    pytest.param("bob & carol", "5 > 3 and 2 < 4", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("mallory", "<script>alert(1)</script>", marks=pytest.mark.security),
    pytest.param('<img src=x onerror="alert(1)">', "hi", marks=pytest.mark.security),
    pytest.param("eve", "</p></div><iframe src=//evil.example>", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_render_comment(author, text):
    _check(render_comment, author, text)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_render_comment_unsafe_functionality(author, text):
    _check(render_comment_unsafe, author, text)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_render_comment_unsafe_security(author, text):
    with pytest.raises(AssertionError):
        _check(render_comment_unsafe, author, text)
