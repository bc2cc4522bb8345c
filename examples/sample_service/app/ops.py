"""Operational endpoints' helpers: two command injections and a safe call."""

import os
import subprocess


def ping(host):
    # OS command injection (CWE-78): a shell parses user input.
    return subprocess.check_output(f"ping -c 1 {host}", shell=True)


def archive(name):
    os.system("tar czf /tmp/backup.tgz " + name)


def disk_usage(path):
    # Safe: no shell, arguments as a list.
    return subprocess.run(["du", "-sh", path], capture_output=True, check=False).stdout
