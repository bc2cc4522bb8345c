import html

import markupsafe
from flask import Flask, Response, jsonify, make_response, render_template, request, send_file

app = Flask(__name__)


@app.route("/greet")
def greet():
    name = request.args.get("name", "")
    # ruleid: flywheel.python.xss
    return f"<h1>Hello {name}</h1>"


@app.route("/greet-escaped")
def greet_escaped():
    name = request.args.get("name", "")
    # ok: flywheel.python.xss
    return f"<h1>Hello {markupsafe.escape(name)}</h1>"


@app.route("/echo", methods=["POST"])
def echo():
    body = "You said: " + request.form["text"]
    # ruleid: flywheel.python.xss
    return make_response(body)


@app.route("/header")
def header():
    value = request.args.get("v", "")
    # ok: flywheel.python.xss
    return make_response(("stored in a header", {"X-Value": value}))


@app.route("/page")
def page():
    name = request.args.get("name", "")
    # ok: flywheel.python.xss
    return render_template("page.html", name=name)


@app.route("/api")
def api():
    # ok: flywheel.python.xss
    return jsonify(name=request.args.get("name"), escaped=html.escape(request.args.get("x", "")))


@app.route("/lookup")
def lookup():
    # ok: flywheel.python.xss
    return {"name": request.args.get("name")}


@app.route("/names")
def names():
    # ok: flywheel.python.xss
    return [request.args.get("a"), request.args.get("b")]


@app.route("/download")
def download():
    # ok: flywheel.python.xss
    return send_file("/srv/files/" + request.args["file"])


@app.route("/raw")
def raw():
    # ok: flywheel.python.xss
    return Response(request.args.get("q", ""), mimetype="text/plain")


@app.route("/raw-html")
def raw_html():
    # ruleid: flywheel.python.xss
    return Response(request.args.get("q", ""), mimetype="text/html")
