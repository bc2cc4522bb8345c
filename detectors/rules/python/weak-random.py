import random
import secrets
import string

from flask import Flask, make_response, session

app = Flask(__name__)


def reset_token():
    # ruleid: flywheel.python.insecure-random
    alphabet = "".join(random.choice(string.ascii_letters) for _ in range(32))
    # ruleid: flywheel.python.insecure-random-secret
    return alphabet


@app.route("/remember")
def remember():
    # ruleid: flywheel.python.insecure-random
    value = str(random.getrandbits(64))
    # ruleid: flywheel.python.insecure-random-secret
    session["remember_me"] = value
    response = make_response("ok")
    # ruleid: flywheel.python.insecure-random-secret
    response.set_cookie("remember", value, secure=True, httponly=True)
    # ok: flywheel.python.insecure-random-secret
    api_key = secrets.token_urlsafe(32)
    # ok: flywheel.python.insecure-random-secret
    password = "".join(secrets.choice(string.ascii_letters) for _ in range(16))
    return response


def shuffle_deck(cards):
    # A shuffle is not a secret: only the audit rule (low confidence) says anything here.
    # ruleid: flywheel.python.insecure-random
    deck = random.sample(cards, len(cards))
    return deck
