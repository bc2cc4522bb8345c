import os
import pathlib

from flask import Flask, request, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
BASE = "/srv/files"


@app.route("/read")
def read():
    name = request.args.get("name", "")
    # ruleid: flywheel.python.path-traversal
    with open(os.path.join(BASE, name)) as handle:
        text = handle.read()
    # ruleid: flywheel.python.path-traversal
    text += pathlib.Path(BASE, name).read_text()
    # ok: flywheel.python.path-traversal
    text += open(os.path.join(BASE, secure_filename(name))).read()
    # ok: flywheel.python.path-traversal
    text += open(os.path.join(BASE, os.path.basename(name))).read()
    return text


@app.route("/checked")
def checked():
    name = request.args.get("name", "")
    if ".." in name:
        return "no"
    # ok: flywheel.python.path-traversal
    return open(f"{BASE}/{name}").read()


@app.route("/download")
def download():
    # ok: flywheel.python.path-traversal
    return send_from_directory(BASE, request.args["file"])

