"""dlint (Dlint's flake8 plugin, BSD-3) over many files in one flake8 process.

flake8 runs with only dlint's checks selected (`--select DUO`) and no user or project
configuration (`--isolated`); each reported code becomes a Finding with tool "dlint" and the
CWE its check is about. Dlint's three Twisted checks (DUO101, DUO113, DUO114) are about
correctness, and DUO108 (Python 2's `input`) does not apply to Python 3: they are not run.

An independent judge: by default on the evaluation side only (`detectors.engines`).
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from core.finding import Finding, ParsedReport, ParsedRun
from core.severity import Severity
from detectors.semgrep_runner import ScannerError

TOOL = "dlint"
H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
# Each security check of dlint 0.16+: the CWE it is about and how bad a hit is.
CHECKS: dict[str, tuple[int, Severity]] = {
    "DUO102": (338, L),  # random for security
    "DUO103": (502, H),  # pickle
    "DUO104": (95, H),  # eval
    "DUO105": (95, H),  # exec
    "DUO106": (78, H),  # os.system, os.popen ...
    "DUO107": (611, M),  # stdlib XML parsers
    "DUO109": (502, H),  # yaml.load without a safe loader
    "DUO110": (95, M),  # compile
    "DUO111": (94, M),  # sys.call_tracing, sys.setprofile ...
    "DUO112": (22, M),  # zipfile extract(all)
    "DUO115": (22, M),  # tarfile extract(all)
    "DUO116": (78, H),  # subprocess shell=True
    "DUO117": (676, M),  # dl
    "DUO118": (676, M),  # gl
    "DUO119": (502, M),  # shelve
    "DUO120": (502, M),  # marshal
    "DUO121": (377, M),  # tempfile.mktemp
    "DUO122": (327, M),  # weak ssl attributes
    "DUO123": (295, H),  # requests verify=False
    "DUO124": (284, M),  # xmlrpc allow_dotted_names
    "DUO125": (78, M),  # commands
    "DUO126": (78, M),  # popen2
    "DUO127": (295, M),  # duo_client without certificates
    "DUO128": (347, M),  # OneLogin SAML without checks
    "DUO129": (347, M),
    "DUO130": (328, M),  # md5, sha1 ...
    "DUO131": (295, L),  # urllib3 warnings disabled
    "DUO132": (295, H),  # urllib3 verification disabled
    "DUO133": (327, M),  # pycrypto
    "DUO134": (327, M),  # weak cryptography primitives
    "DUO135": (611, M),  # defusedxml with defenses off
    "DUO136": (347, M),  # xmlsec
    "DUO137": (347, M),  # itsdangerous allowing empty signatures
    "DUO138": (1333, M),  # catastrophic regular expressions
}
_FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"


def run_dlint(root: Path, files: Iterable[str], timeout_s: int = 600) -> ParsedReport:
    """dlint's security checks over the Python `files` (paths relative to `root`)."""
    names = sorted({name for name in files if name.endswith(".py")})
    findings: list[Finding] = []
    if names:
        command = [
            sys.executable, "-m", "flake8", "--isolated", f"--select={','.join(CHECKS)}",
            f"--format={_FORMAT}", "--jobs=1", "--", *names,
        ]  # fmt: skip
        try:
            completed = subprocess.run(
                command, cwd=root, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise ScannerError(None, f"flake8 (dlint) ran longer than {timeout_s} s") from None
        if completed.returncode not in (0, 1) or "DUO" not in _plugins():
            raise ScannerError(
                None,
                f"flake8 (dlint) exited with {completed.returncode}: {completed.stderr[-500:]}",
            )
        for line in completed.stdout.splitlines():
            finding = _finding(line)
            if finding is not None:
                findings.append(finding)
    return ParsedReport(
        format="dlint",
        runs=[ParsedRun(tool=TOOL, tool_version=_version(), findings=findings)],
    )


def _finding(line: str) -> Finding | None:
    parts = line.split("\t", 4)
    if len(parts) != 5 or parts[3] not in CHECKS:
        return None
    path, row, _col, code, text = parts
    cwe, severity = CHECKS[code]
    return Finding(
        tool=TOOL,
        rule_id=f"dlint.{code}",
        message=text,
        severity=severity,
        cwe_ids=[cwe],
        path=path[2:] if path.startswith("./") else path,
        start_line=int(row),
        end_line=int(row),
    )


@functools.cache
def _plugins() -> str:
    """flake8's list of installed plugins: dlint must be among them, or every scan would
    find nothing (a judge that fails open)."""
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True, check=False
    )
    return completed.stdout.replace("dlint", "DUO")


@functools.cache
def _version() -> str | None:
    try:
        return version("dlint")
    except PackageNotFoundError:
        return None
