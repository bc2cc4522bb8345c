"""HTTP handlers. Request data reaches dangerous sinks in most of them."""

import requests
from flask import Blueprint, redirect, render_template_string, request, send_file

from app import db, ops, sessions

bp = Blueprint("api", __name__)


@bp.route("/orders")
def orders():
    return {"orders": db.find_orders(request.args.get("customer", ""))}


@bp.route("/ping")
def ping():
    return ops.ping(request.args["host"])


@bp.route("/hello")
def hello():
    name = request.args.get("name", "world")
    # Server-side template injection / XSS (CWE-94, CWE-79).
    return render_template_string("<h1>Hello " + name + "</h1>")


@bp.route("/go")
def go():
    # Open redirect (CWE-601).
    return redirect(request.args.get("next"))


@bp.route("/download")
def download():
    # Path traversal (CWE-22).
    return send_file("/srv/files/" + request.args["file"])


@bp.route("/fetch")
def fetch():
    # SSRF (CWE-918) without certificate checks (CWE-295).
    return requests.get(request.args["url"], verify=False, timeout=5).text


@bp.route("/session", methods=["POST"])
def session():
    return {"user": sessions.load_session(request.get_data()).get("user")}


if __name__ == "__main__":
    from flask import Flask

    app = Flask(__name__)
    app.register_blueprint(bp)
    app.run(debug=True)
