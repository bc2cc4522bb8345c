from flask import Flask, make_response

app = Flask(__name__)


@app.route("/login")
def login():
    response = make_response("welcome")
    # ruleid: flywheel.python.cookie-without-secure
    response.set_cookie("session_id", "abc", httponly=True)
    # ruleid: flywheel.python.cookie-without-secure, flywheel.python.cookie-without-httponly
    response.set_cookie("remember", "1", secure=False)
    # ok: flywheel.python.cookie-without-secure, flywheel.python.cookie-without-httponly
    response.set_cookie("session_id", "abc", secure=True, httponly=True, samesite="Lax")
    options = {"secure": True, "httponly": True}
    # ok: flywheel.python.cookie-without-secure
    response.set_cookie("prefs", "dark", **options)
    return response
