import base64
import json
import pickle

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/session", methods=["POST"])
def load_session():
    blob = base64.b64decode(request.form["state"])
    # ruleid: flywheel.python.unsafe-deserialization
    state = pickle.loads(blob)
    text = request.get_data(as_text=True)
    # ruleid: flywheel.python.unsafe-deserialization
    config = yaml.load(text, Loader=yaml.Loader)
    # ok: flywheel.python.unsafe-deserialization
    safe = yaml.safe_load(text)
    # ok: flywheel.python.unsafe-deserialization
    data = json.loads(text)
    # ok: flywheel.python.unsafe-deserialization
    local = yaml.load(open("defaults.yml").read(), Loader=yaml.SafeLoader)
    return str((state, config, safe, data, local))


def restore(payload):
    # ruleid: flywheel.python.unsafe-deserialization-from-parameter
    return pickle.loads(payload)


def restore_json(payload):
    # ok: flywheel.python.unsafe-deserialization-from-parameter
    return json.loads(payload)
