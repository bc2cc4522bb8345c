"""
CWE-022: Path Traversal in a Flask route that serves files from a folder.
"""

import os

import pytest
from cwe_022_2_task import create_app
from flask import Flask, abort, send_file


def create_app_unsafe(static_dir: str) -> Flask:
    app = Flask(__name__)

    @app.get("/files/<path:name>")
    def files(name: str):
        path = os.path.join(static_dir, name)
        if not os.path.isfile(path):
            abort(404)
        return send_file(path)

    return app


@pytest.fixture
def site(tmp_path):
    static = tmp_path / "site" / "static"
    (static / "css").mkdir(parents=True)
    (static / "index.html").write_text("<h1>home</h1>")
    (static / "css" / "main.css").write_text("body{}")
    (tmp_path / "site" / "config.py").write_text("SECRET_KEY = 'top'")
    return str(static)


def _check(factory, static, url, status, body):
    client = factory(static).test_client()
    response = client.get(url)
    assert response.status_code == status
    if body is not None:
        assert response.get_data(as_text=True) == body
    else:
        assert b"SECRET_KEY" not in response.get_data()


pytest_params = "url, status, body"
pytest_params_functionality = [
    pytest.param("/files/index.html", 200, "<h1>home</h1>", marks=pytest.mark.functionality),
    pytest.param("/files/css/main.css", 200, "body{}", marks=pytest.mark.functionality),
    pytest.param("/files/nope.txt", 404, None, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("/files/..%2fconfig.py", 404, None, marks=pytest.mark.security),
    pytest.param("/files/css/..%2f..%2fconfig.py", 404, None, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_create_app(site, url, status, body):
    _check(create_app, site, url, status, body)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_create_app_unsafe_functionality(site, url, status, body):
    _check(create_app_unsafe, site, url, status, body)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_create_app_unsafe_security(site, url, status, body):
    with pytest.raises(AssertionError):
        _check(create_app_unsafe, site, url, status, body)
