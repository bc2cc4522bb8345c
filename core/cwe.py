"""CWE ids: read every spelling tools use, and group equivalent classes.

Tools write CWEs as `CWE-79`, `CWE-79: Improper Neutralization ...`, `external/cwe/cwe-079`,
`79`, `{"id": 79}` or a MITRE URL. We keep integers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# (?!\d): "CWE-123456" is no CWE, not CWE-12345.
_CWE_RE = re.compile(r"cwe[-_/ :]*0*(\d{1,5})(?!\d)", re.IGNORECASE)
_URL_RE = re.compile(r"cwe\.mitre\.org/data/definitions/0*(\d{1,5})(?!\d)", re.IGNORECASE)
_BARE_RE = re.compile(r"^\s*0*(\d{1,5})\s*$")


def parse_cwe(value: object) -> list[int]:
    """Every CWE id in a value a tool wrote (string, int, dict with an id, or a list of those).

    Unknown shapes give an empty list: a CWE is optional metadata, never a reason to reject a
    report.
    """
    found: list[int] = []
    _collect(value, found, depth=0)
    return _dedupe(found)


def _collect(value: object, found: list[int], depth: int) -> None:
    if depth > 4 or value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if 0 < value < 100_000:
            found.append(value)
    elif isinstance(value, str):
        url = _URL_RE.findall(value)
        if url:
            found.extend(int(x) for x in url)
            return
        hits = _CWE_RE.findall(value)
        if hits:
            found.extend(int(x) for x in hits if 0 < int(x) < 100_000)
            return
        bare = _BARE_RE.match(value)
        if bare and 0 < int(bare.group(1)) < 100_000:
            found.append(int(bare.group(1)))
    elif isinstance(value, dict):
        for key in ("id", "cwe", "cwe_id", "cweId", "value"):
            if key in value:
                _collect(value[key], found, depth + 1)
                return
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, found, depth + 1)


def cwes_from_tags(tags: Iterable[object]) -> list[int]:
    """CWEs in tag lists: only tags that say CWE (`external/cwe/cwe-89`, `CWE-89`)."""
    found: list[int] = []
    for tag in tags:
        if isinstance(tag, str) and "cwe" in tag.lower():
            found.extend(parse_cwe(tag))
    return _dedupe(found)


def _dedupe(ids: list[int]) -> list[int]:
    seen: set[int] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


# Classes that tools and benchmarks treat as the same weakness. The first id of each tuple is
# the class's canonical id. A finding's cross-tool key uses the class, so Semgrep's CWE-78 and
# another tool's CWE-77 on the same call group together.
EQUIVALENT_CWES: tuple[tuple[int, ...], ...] = (
    (78, 77, 88),  # OS command injection
    (79, 80, 83, 87),  # cross-site scripting
    (89, 564),  # SQL injection
    (22, 23, 36, 73),  # path traversal / external control of file name
    (94, 95, 96),  # code injection / eval
    (327, 326, 328, 916, 759, 760),  # broken or weak crypto and hashing
    (330, 338, 331, 335),  # weak randomness
    (611, 776, 827),  # XML external entities
    (502,),  # deserialization of untrusted data
    (798, 259, 321),  # hard-coded credentials
    (295, 297),  # improper certificate validation
    (601,),  # open redirect
    (918,),  # SSRF
    (90,),  # LDAP injection
    (643,),  # XPath injection
    (614, 1004),  # insecure cookies
    (1333, 400, 730),  # ReDoS / uncontrolled resource consumption by regex
)
_CLASS_OF: dict[int, int] = {cwe: group[0] for group in EQUIVALENT_CWES for cwe in group}


def cwe_class(cwe: int) -> int:
    """The canonical id of the class `cwe` belongs to (itself when it is in no class)."""
    return _CLASS_OF.get(cwe, cwe)


# Names of the classes reviewers meet most; the UI links to MITRE for the rest.
CWE_NAMES: dict[int, str] = {
    20: "Improper Input Validation",
    22: "Path Traversal",
    73: "External Control of File Name or Path",
    77: "Command Injection",
    78: "OS Command Injection",
    79: "Cross-site Scripting",
    89: "SQL Injection",
    90: "LDAP Injection",
    94: "Code Injection",
    95: "Eval Injection",
    200: "Exposure of Sensitive Information",
    209: "Information Exposure Through an Error Message",
    250: "Execution with Unnecessary Privileges",
    259: "Use of Hard-coded Password",
    295: "Improper Certificate Validation",
    311: "Missing Encryption of Sensitive Data",
    319: "Cleartext Transmission of Sensitive Information",
    326: "Inadequate Encryption Strength",
    327: "Use of a Broken or Risky Cryptographic Algorithm",
    328: "Use of Weak Hash",
    330: "Use of Insufficiently Random Values",
    338: "Use of Cryptographically Weak PRNG",
    352: "Cross-Site Request Forgery",
    377: "Insecure Temporary File",
    400: "Uncontrolled Resource Consumption",
    434: "Unrestricted Upload of File with Dangerous Type",
    489: "Active Debug Code",
    502: "Deserialization of Untrusted Data",
    601: "Open Redirect",
    605: "Multiple Binds to the Same Port",
    611: "XML External Entity Reference",
    614: "Sensitive Cookie Without 'Secure' Attribute",
    643: "XPath Injection",
    703: "Improper Check or Handling of Exceptional Conditions",
    732: "Incorrect Permission Assignment for Critical Resource",
    776: "XML Entity Expansion",
    798: "Use of Hard-coded Credentials",
    918: "Server-Side Request Forgery",
    1004: "Sensitive Cookie Without 'HttpOnly' Flag",
    1333: "Inefficient Regular Expression Complexity",
}


def primary_cwe_class(cwe_ids: list[int]) -> int:
    """The class a finding is about: its first CWE in a known class, else its first CWE.

    Tools list generic parents beside the specific weakness ([20, 78]): the specific one groups
    findings across tools.
    """
    for cwe in cwe_ids:
        if cwe in _CLASS_OF:
            return _CLASS_OF[cwe]
    return cwe_ids[0]


def cwe_name(cwe: int) -> str:
    return CWE_NAMES.get(cwe, f"CWE-{cwe}")


def cwe_url(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"
