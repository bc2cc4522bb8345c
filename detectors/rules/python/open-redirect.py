import urllib.parse

from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/go")
def go():
    # ruleid: flywheel.python.open-redirect
    return redirect(request.args.get("next", "/"))


@app.route("/go-checked")
def go_checked():
    target = request.args.get("next", "/")
    url = urllib.parse.urlparse(target)
    if url.netloc not in ("example.com", ""):
        return "invalid target"
    # ok: flywheel.python.open-redirect
    return redirect(target)


@app.route("/home")
def home():
    # ok: flywheel.python.open-redirect
    return redirect(url_for("index", tab=request.args.get("tab")))


@app.route("/go-checked-try")
def go_checked_try():
    target = request.args.get("next", "/")
    try:
        url = urllib.parse.urlparse(target)
        if url.scheme != "https" or url.netloc not in ("example.com",):
            return "invalid target"
    except ValueError:
        return "unparseable target"
    # ok: flywheel.python.open-redirect
    return redirect(target)
