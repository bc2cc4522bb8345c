from flask import Flask, request, session

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    # ruleid: flywheel.python.trust-boundary-session
    session["userid"] = request.form["userid"]
    return "ok"


@app.route("/prefs", methods=["POST"])
def prefs():
    # ok: flywheel.python.trust-boundary-session
    session["visits"] = session.get("visits", 0) + 1
    theme = int(request.form.get("theme", "0"))
    # ok: flywheel.python.trust-boundary-session
    session["theme"] = theme
    return "ok"
