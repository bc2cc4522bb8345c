import os
import subprocess


def bad(host, name):
    # ruleid: flywheel.python.subprocess-shell-true
    subprocess.check_output(f"ping -c 1 {host}", shell=True)
    # ruleid: flywheel.python.os-system
    os.system("tar czf /tmp/b.tgz " + name)


def good(path):
    # ok: flywheel.python.subprocess-shell-true
    subprocess.run(["du", "-sh", path], check=False)
    # ok: flywheel.python.subprocess-shell-true
    subprocess.run("ls -l", shell=True)
    # ok: flywheel.python.os-system
    os.system("uptime")
