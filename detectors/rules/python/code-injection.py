import ast
import json

from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/calc", methods=["POST"])
def calc():
    expression = request.form["expression"]
    # ruleid: flywheel.python.code-injection
    result = eval(expression)
    # ok: flywheel.python.code-injection
    data = json.loads(expression)
    # ok: flywheel.python.code-injection
    literal = ast.literal_eval(expression)
    return str((result, data, literal))


@app.route("/literal", methods=["POST"])
def literal_only():
    value = request.form["value"]
    if not value.startswith("'") or not value.endswith("'"):
        return "only a quoted string is allowed"
    # ok: flywheel.python.code-injection
    return eval(value)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    # ruleid: flywheel.python.template-injection
    page = render_template_string("<h1>Hello " + name + "</h1>")
    # ok: flywheel.python.template-injection
    page += render_template_string("<h1>Hello {{ name }}</h1>", name=name)
    return page


def run_plugin(source):
    # ruleid: flywheel.python.code-injection-from-parameter
    exec(source)


def parse_setting(text):
    # ok: flywheel.python.code-injection-from-parameter
    return ast.literal_eval(text)
