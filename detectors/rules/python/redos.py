import re

from django.http import JsonResponse
from fastapi import FastAPI
from flask import Flask, request

app = Flask(__name__)
api = FastAPI()

# ruleid: flywheel.python.redos-nested-quantifier
EMAIL_RE = re.compile(r"^([a-zA-Z0-9]+)*@example\.com$")
# ruleid: flywheel.python.redos-nested-quantifier
WORDS_RE = re.compile(r"^(\w+\s?)*$")
# ruleid: flywheel.python.redos-nested-quantifier
VERSION_RE = re.compile(r"^(\d+\.?)+$")
# ok: flywheel.python.redos-nested-quantifier
SAFE_EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+\.[\w.-]+$")
# ok: flywheel.python.redos-nested-quantifier
IPV4_RE = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")
# ok: flywheel.python.redos-nested-quantifier
CSV_RE = re.compile(r"(\s*,\s*)+")
# ok: flywheel.python.redos-nested-quantifier
ROUTE_RE = re.compile(r"^/api/(?P<kind>\w+)/(?P<id>\d+)$")


def parse(text):
    # ruleid: flywheel.python.redos-nested-quantifier
    if re.match(r"(a+)+b", text):
        return True
    # ruleid: flywheel.python.redos-nested-quantifier
    parts = re.findall(r"(.|\s)*;", text)
    # ruleid: flywheel.python.redos-nested-quantifier
    cleaned = re.sub(r"(?P<ws>\s*)*$", "", text)
    # ok: flywheel.python.redos-nested-quantifier
    tokens = re.split(r"\s+", text)
    # ok: flywheel.python.redos-nested-quantifier
    nums = re.findall(r"(\+\d)+", text)
    # ok: flywheel.python.redos-nested-quantifier
    pairs = re.findall(r"(a|b)*c", text)
    return parts, cleaned, tokens, nums, pairs


@app.route("/search")
def search():
    pattern = request.args.get("q", "")
    # ruleid: flywheel.python.regex-injection
    rx = re.compile(pattern)
    # ruleid: flywheel.python.regex-injection
    hits = [line for line in open("/var/log/app.log") if re.search(request.args["filter"], line)]
    return {"n": len(hits), "rx": rx.pattern}


@app.route("/find")
def find():
    term = request.args.get("q", "")
    # ruleid: flywheel.python.regex-injection
    return {"hits": re.findall(f"\\b{term}\\w*", "some text")}


@api.get("/grep")
def grep(expr: str):
    # ruleid: flywheel.python.regex-injection
    return {"ok": bool(re.fullmatch(expr, "abc"))}


def django_filter(request):
    # ruleid: flywheel.python.regex-injection
    rx = re.compile(request.GET.get("pattern", ".*"))
    return JsonResponse({"p": rx.pattern})


@app.route("/safe-search")
def safe_search():
    term = request.args.get("q", "")
    # ok: flywheel.python.regex-injection
    rx = re.compile(re.escape(term), re.IGNORECASE)
    # ok: flywheel.python.regex-injection
    words = re.findall(rf"\b{re.escape(term)}\w*", "some text")
    # ok: flywheel.python.regex-injection
    match = re.search(r"^[a-z0-9_-]{3,32}$", term)
    return {"rx": rx.pattern, "w": words, "m": bool(match)}


@api.get("/safe-grep")
def safe_grep(expr: str):
    # ok: flywheel.python.regex-injection
    return {"ok": bool(re.fullmatch(r"[a-z]+", expr))}
