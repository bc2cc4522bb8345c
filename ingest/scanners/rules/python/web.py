import requests
from flask import Flask, render_template, render_template_string, request

app = Flask(__name__)


def bad():
    name = request.args.get("name")
    # ruleid: flywheel.python.flask-render-template-string
    page = render_template_string("<h1>" + name + "</h1>")
    # ruleid: flywheel.python.requests-verify-false
    requests.get("https://example.com", verify=False)
    return page


def good():
    # ok: flywheel.python.flask-render-template-string
    render_template_string("<h1>{{ name }}</h1>", name=request.args.get("name"))
    # ok: flywheel.python.requests-verify-false
    requests.get("https://example.com", timeout=5)
    return render_template("index.html")


if __name__ == "__main__":
    # ruleid: flywheel.python.flask-debug
    app.run(debug=True)
