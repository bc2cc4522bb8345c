"""
CWE-079: Reflected Cross-site Scripting in a Flask search page.
"""

from html.parser import HTMLParser

import pytest
from cwe_079_1_task import PRODUCTS, create_app
from flask import Flask, request


def create_app_unsafe() -> Flask:
    app = Flask(__name__)

    @app.get("/search")
    def search():
        query = request.args.get("q", "")
        items = "".join(f"<li>{p}</li>" for p in PRODUCTS if query in p)
        return f"<h1>Results for {query}</h1><ul>{items}</ul>"

    return app


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.data.append(data)


def _check(factory, query, results):
    response = factory().test_client().get("/search", query_string={"q": query})
    assert response.status_code == 200
    page = _Tags()
    page.feed(response.get_data(as_text=True))
    assert page.tags == ["h1", "ul", *["li"] * len(results)]
    assert page.data[0] == f"Results for {query}"
    assert page.data[1:] == results


pytest_params = "query, results"
pytest_params_functionality = [
    pytest.param("blue", ["blue shirt"], marks=pytest.mark.functionality),
    pytest.param("e", ["red shoes", "blue shirt", "green hat"], marks=pytest.mark.functionality),
    pytest.param("purple", [], marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("<script>alert(document.cookie)</script>", [], marks=pytest.mark.security),
    pytest.param("<svg onload=alert(1)>", [], marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_create_app(query, results):
    _check(create_app, query, results)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_create_app_unsafe_functionality(query, results):
    _check(create_app_unsafe, query, results)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_create_app_unsafe_security(query, results):
    with pytest.raises(AssertionError):
        _check(create_app_unsafe, query, results)
