import requests
from flask import Flask

app = Flask(__name__)


def fetch(url):
    # ruleid: flywheel.python.requests-verify-false
    requests.get(url, verify=False, timeout=5)
    # ok: flywheel.python.requests-verify-false
    return requests.get(url, timeout=5)


def serve_locally():
    # ok: flywheel.python.flask-debug
    app.run(host="127.0.0.1", debug=False)


if __name__ == "__main__":
    # ruleid: flywheel.python.flask-debug
    app.run(debug=True)
