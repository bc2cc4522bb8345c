import os
import shlex
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    # ruleid: flywheel.python.command-injection
    subprocess.check_output(f"ping -c 1 {host}", shell=True)
    # ruleid: flywheel.python.command-injection
    os.system("nslookup " + host)
    args = ["sh"]
    args.append("-c")
    args.append(f"echo {host}")
    # ruleid: flywheel.python.command-injection
    subprocess.run(args, capture_output=True)
    # ok: flywheel.python.command-injection
    subprocess.run(["ping", "-c", "1", host], check=False)
    # ok: flywheel.python.command-injection
    subprocess.run(f"ping -c 1 {shlex.quote(host)}", shell=True)
    # ok: flywheel.python.command-injection
    return subprocess.run("uptime", shell=True, capture_output=True).stdout


def archive(name):
    # ruleid: flywheel.python.command-injection-from-parameter
    os.system("tar czf /tmp/backup.tgz " + name)
    # ok: flywheel.python.command-injection-from-parameter
    subprocess.run(["tar", "czf", "/tmp/backup.tgz", name], check=True)
