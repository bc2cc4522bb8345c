import os

import jwt
from flask import abort, request

SECRET = os.environ["JWT_SECRET"]
ISSUER_KEYS = {"https://issuer.example.com": os.environ.get("ISSUER_PUBLIC_KEY")}


def current_user():
    token = request.headers["Authorization"].removeprefix("Bearer ")
    # ruleid: flywheel.python.jwt-verify-disabled
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["sub"]


def current_user_legacy(token):
    # ruleid: flywheel.python.jwt-verify-disabled
    return jwt.decode(token, SECRET, verify=False)


def current_user_opts(token):
    # ruleid: flywheel.python.jwt-verify-disabled
    opts = {"verify_signature": False, "verify_exp": True}
    return jwt.decode(token, SECRET, algorithms=["HS256"], options=opts)


def roles(token):
    # ruleid: flywheel.python.jwt-none-algorithm
    return jwt.decode(token, SECRET, algorithms=["HS256", "none"])["roles"]


def make_unsigned(user_id):
    # ruleid: flywheel.python.jwt-none-algorithm
    return jwt.encode({"sub": user_id}, None, algorithm="none")


# --- safe ---


def current_user_ok(token):
    # ok: flywheel.python.jwt-verify-disabled, flywheel.python.jwt-none-algorithm
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")
    return claims["sub"]


def multi_issuer(token):
    # ok: flywheel.python.jwt-verify-disabled
    unverified = jwt.decode(token, options={"verify_signature": False})
    key = ISSUER_KEYS.get(unverified.get("iss"))
    if key is None:
        abort(401)
    return jwt.decode(token, key, algorithms=["RS256"], audience="api")


def header_first(token):
    # ok: flywheel.python.jwt-verify-disabled
    kid = jwt.get_unverified_header(token)["kid"]
    # ok: flywheel.python.jwt-verify-disabled
    return jwt.decode(token, ISSUER_KEYS[kid], algorithms=["RS256"], options={"verify_signature": True})


def sign(user_id):
    # ok: flywheel.python.jwt-none-algorithm
    return jwt.encode({"sub": user_id}, SECRET, algorithm="HS256")
