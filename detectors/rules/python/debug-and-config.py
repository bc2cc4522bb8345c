import os
import socket
import stat
import tempfile
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from flask import Flask

BASE_DIR = Path(__file__).resolve().parent.parent

# ruleid: flywheel.python.django-debug-true
DEBUG = True

# ruleid: flywheel.python.django-allowed-hosts-wildcard
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.sessions",
]

ROOT_URLCONF = "mysite.urls"

# ruleid: flywheel.python.session-cookie-not-secure
SESSION_COOKIE_SECURE = False
# ruleid: flywheel.python.session-cookie-httponly-disabled
SESSION_COOKIE_HTTPONLY = False
# ok: flywheel.python.session-cookie-not-secure
CSRF_COOKIE_SECURE = True
# ok: flywheel.python.session-cookie-httponly-disabled
CSRF_COOKIE_HTTPONLY = False

if DEBUG:
    # ok: flywheel.python.django-allowed-hosts-wildcard
    ALLOWED_HOSTS = ["*"]
else:
    # ok: flywheel.python.django-allowed-hosts-wildcard
    ALLOWED_HOSTS = ["example.com", "www.example.com"]


class TestSettings:
    # ok: flywheel.python.django-debug-true
    DEBUG = True


def toggle_debug(config):
    # ok: flywheel.python.django-debug-true
    DEBUG = True
    return config, DEBUG


app = Flask(__name__)
# ruleid: flywheel.python.session-cookie-not-secure
app.config["SESSION_COOKIE_SECURE"] = False
# ruleid: flywheel.python.session-cookie-httponly-disabled
app.config.update(SESSION_COOKIE_HTTPONLY=False, SESSION_COOKIE_SAMESITE="Lax")
# ruleid: flywheel.python.session-cookie-not-secure
app.config.from_mapping({"REMEMBER_COOKIE_SECURE": False})
# ok: flywheel.python.session-cookie-not-secure, flywheel.python.session-cookie-httponly-disabled
app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True)

api = FastAPI()


def serve():
    # ruleid: flywheel.python.bind-all-interfaces
    app.run(host="0.0.0.0", port=8000)
    # ruleid: flywheel.python.bind-all-interfaces
    uvicorn.run(api, host="0.0.0.0", port=8080)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # ruleid: flywheel.python.bind-all-interfaces
    sock.bind(("", 9000))
    # ok: flywheel.python.bind-all-interfaces
    app.run(host="127.0.0.1", port=8000)
    # ok: flywheel.python.bind-all-interfaces
    uvicorn.run(api, host=os.environ.get("HOST", "127.0.0.1"), port=8080)
    # ok: flywheel.python.bind-all-interfaces
    sock.bind(("127.0.0.1", 9001))


def temp_files(data):
    # ruleid: flywheel.python.tempfile-mktemp
    name = tempfile.mktemp(suffix=".json")
    with open(name, "w") as fh:
        fh.write(data)
    # ok: flywheel.python.tempfile-mktemp
    fd, path = tempfile.mkstemp(suffix=".json")
    # ok: flywheel.python.tempfile-mktemp
    with tempfile.NamedTemporaryFile("w", delete=False) as tmp:
        tmp.write(data)
    return fd, path, tmp.name


SHARED_MODE = 0o777


def permissions(path):
    # ruleid: flywheel.python.world-writable-permissions
    os.chmod(path, 0o777)
    # ruleid: flywheel.python.world-writable-permissions
    os.chmod(path, 0o666)
    # ruleid: flywheel.python.world-writable-permissions
    os.chmod(path, SHARED_MODE)
    # ruleid: flywheel.python.world-writable-permissions
    os.chmod(path, stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)
    # ruleid: flywheel.python.world-writable-permissions
    Path(path).chmod(0o757)
    # ruleid: flywheel.python.world-writable-permissions
    os.umask(0)
    # ok: flywheel.python.world-writable-permissions
    os.chmod(path, 0o600)
    # ok: flywheel.python.world-writable-permissions
    os.chmod(path, 0o755)
    # ok: flywheel.python.world-writable-permissions
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    # ok: flywheel.python.world-writable-permissions
    Path(path).chmod(0o700)
    # ok: flywheel.python.world-writable-permissions
    os.umask(0o077)
    # ok: flywheel.python.world-writable-permissions
    os.makedirs(path, mode=0o777, exist_ok=True)


def current_umask():
    # ok: flywheel.python.world-writable-permissions
    mask = os.umask(0)
    os.umask(mask)
    return mask


def with_umask(path):
    try:
        # ok: flywheel.python.world-writable-permissions
        old = os.umask(0)
        os.mkdir(path)
    finally:
        os.umask(old)
