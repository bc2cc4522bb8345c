import urllib.request
import urllib.parse
from urllib.parse import urlparse

import aiohttp
import httpx
import requests
import urllib3
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from fastapi import Depends, FastAPI
from flask import Flask, abort, request

app = Flask(__name__)
api = FastAPI()

ALLOWED_HOSTS = {"api.example.com", "cdn.example.com"}
API_BASE = "https://api.example.com"


@app.route("/fetch")
def fetch():
    url = request.args.get("url")
    # ruleid: flywheel.python.ssrf
    resp = requests.get(url, timeout=5)
    return resp.text


@app.route("/webhook", methods=["POST"])
def webhook():
    target = request.get_json()["callback"]
    # ruleid: flywheel.python.ssrf
    requests.post(url=target, json={"ok": True}, timeout=5)
    # ruleid: flywheel.python.ssrf
    requests.request("POST", target, timeout=5)
    return "ok"


@app.route("/proxy")
def proxy():
    host = request.args["host"]
    # ruleid: flywheel.python.ssrf
    return httpx.get(f"http://{host}/status", timeout=5).text


@app.route("/preview")
def preview():
    link = request.form.get("link")
    # ruleid: flywheel.python.ssrf
    with urllib.request.urlopen(link, timeout=5) as fh:
        return fh.read()


@app.route("/joined")
def joined():
    # ruleid: flywheel.python.ssrf
    return requests.get(API_BASE + request.args["path"], timeout=5).text


@app.route("/pool")
def pool():
    http = urllib3.PoolManager()
    # ruleid: flywheel.python.ssrf
    r = http.request("GET", request.args["u"])
    return r.data


@app.route("/session")
def session_fetch():
    with requests.Session() as s:
        # ruleid: flywheel.python.ssrf
        return s.get(request.values["u"], timeout=5).text


@api.get("/image")
async def image(url: str):
    async with aiohttp.ClientSession() as session:
        # ruleid: flywheel.python.ssrf
        async with session.get(url) as resp:
            return await resp.read()


@api.post("/import")
async def import_feed(feed_url: str):
    async with httpx.AsyncClient(timeout=5) as client:
        # ruleid: flywheel.python.ssrf
        r = await client.get(feed_url)
    return r.json()


def django_fetch(request):
    # ruleid: flywheel.python.ssrf
    data = requests.get(request.GET["url"], timeout=5).json()
    return JsonResponse(data)


# --- safe ---


@app.route("/fixed")
def fixed():
    user_id = request.args.get("id")
    # ok: flywheel.python.ssrf
    return requests.get(f"https://api.example.com/users/{user_id}", timeout=5).text


@app.route("/fixed2")
def fixed2():
    # ok: flywheel.python.ssrf
    return requests.get("https://api.example.com/search", params={"q": request.args["q"]}, timeout=5).text


@app.route("/fixed3")
def fixed3():
    # ok: flywheel.python.ssrf
    return requests.get("https://api.example.com/items/" + request.args["id"], timeout=5).text


@app.route("/allow")
def allow():
    url = request.args.get("url")
    if urlparse(url).hostname not in ALLOWED_HOSTS:
        abort(400)
    # ok: flywheel.python.ssrf
    return requests.get(url, timeout=5).text


@app.route("/allow2")
def allow2():
    url = request.args.get("url")
    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.hostname in ALLOWED_HOSTS:
        # ok: flywheel.python.ssrf
        return requests.get(url, timeout=5).text
    abort(400)


@app.route("/allow3")
def allow3():
    url = request.args.get("url")
    host = urlparse(url).netloc
    if host not in ALLOWED_HOSTS:
        return "forbidden", 403
    # ok: flywheel.python.ssrf
    return httpx.get(url, timeout=5).text


def django_next(request):
    nxt = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return HttpResponseBadRequest()
    # ok: flywheel.python.ssrf
    return JsonResponse(requests.get(nxt, timeout=5).json())


def get_settings():
    return {"upstream": "https://internal.example.com"}


@api.get("/status")
def status(settings: dict = Depends(get_settings)):
    # ok: flywheel.python.ssrf
    return requests.get(settings["upstream"], timeout=5).json()


def refresh_cache(config):
    # ok: flywheel.python.ssrf
    return requests.get(config.feed_url, timeout=5).json()


def parse_response(resp):
    # ok: flywheel.python.ssrf
    return requests.get(resp.headers["Location"], timeout=5)


UPSTREAM = "https://internal.example.com"


@app.route("/gateway")
def gateway():
    path = request.args.get("path", "")
    # ok: flywheel.python.ssrf
    r1 = requests.get(f"{UPSTREAM}/api/{path}", timeout=5)
    # ok: flywheel.python.ssrf
    r2 = requests.get(UPSTREAM + "/items/" + path, timeout=5)
    # ruleid: flywheel.python.ssrf
    r3 = requests.get(f"{UPSTREAM}{path}", timeout=5)
    # ruleid: flywheel.python.ssrf
    r4 = requests.get(urllib.parse.urljoin(UPSTREAM, path), timeout=5)
    return r1.text + r2.text + r3.text + r4.text


@api.get("/items/{item_id}")
def item(item_id: int, source: str):
    # ok: flywheel.python.ssrf
    a = requests.get(API_BASE + str(item_id), timeout=5)
    # ruleid: flywheel.python.ssrf
    b = requests.get(source + "?id=" + str(item_id), timeout=5)
    return a.json(), b.json()


def is_allowed_url(url):
    return urlparse(url).hostname in ALLOWED_HOSTS


@app.route("/helper-checked")
def helper_checked():
    url = request.args.get("url", "")
    if not is_allowed_url(url):
        abort(400)
    # ok: flywheel.python.ssrf
    return requests.get(url, timeout=5).text


@app.route("/logged-only")
def logged_only():
    url = request.args.get("url", "")
    if not url.startswith("http"):
        abort(400)
    # ruleid: flywheel.python.ssrf
    return requests.get(url, timeout=5).text
