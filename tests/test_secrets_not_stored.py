"""No secret from real Gitleaks/Trivy/Semgrep secret findings reaches the database.

The secret values are collected from the real reports themselves (the fields where the tools
reveal them), the reports are ingested, and every stored text (columns and raw records) of
every table is searched for them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from detectors.semgrep_runner import semgrep_binary
from ingest.pipeline import IngestOptions, ingest_paths
from store import FindingsStore
from tests.shared_data import shared_path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "reports"
SECRET_REPORTS = [
    "gitleaks/data_many.json",
    "gitleaks/gitleaks8_many.json",
    "gitleaks/redacted_data_many.json",
    "sarif/gitleaks_7.5.0.sarif",
    "trivy/misconfigurations_and_secrets.json",
]


def _revealed(value: object) -> str | None:
    if (
        isinstance(value, str)
        and len(value) >= 4
        and "REDACTED" not in value
        and "***" not in value
    ):
        return value
    return None


def secrets_in(document: object) -> set[str]:
    """The secret values the tools put in their reports (v8 Secret/Match, v7 offender)."""
    found: set[str] = set()
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("Secret", "Match", "offender") and (secret := _revealed(value)):
                    found.add(secret)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def stored_text(store: FindingsStore) -> str:
    """Everything the store holds, as one text."""
    parts = []
    with store.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


def test_no_reported_secret_reaches_the_database(store: FindingsStore) -> None:
    paths = [shared_path("scans", name) for name in SECRET_REPORTS]
    secrets: set[str] = set()
    for path in paths:
        secrets |= secrets_in(json.loads(path.read_text()))
    # The test means something only if the reports really reveal secrets.
    assert len(secrets) >= 8
    assert any("c77e01c1e89682e4d4b94a059a7fd2b37ab326ed" in s for s in secrets)

    summary = ingest_paths(paths, store, IngestOptions(repository="acme/leaky"))
    assert not summary.failed
    assert store.count() >= 20

    stored = stored_text(store)
    leaked = sorted(s for s in secrets if s in stored)
    assert leaked == []
    assert "[REDACTED:" in stored  # the places they were are marked


def test_sample_service_secrets_are_redacted_from_snippets(store: FindingsStore) -> None:
    sample = EXAMPLES.parent / "sample_service"
    summary = ingest_paths(
        sorted(EXAMPLES.glob("*.json")),
        store,
        IngestOptions(repo=sample, repository="examples/sample_service"),
    )
    assert not summary.failed
    stored = stored_text(store)
    for secret in (
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "sup3r-s3cret-passw0rd",
        "not-a-real-flask-secret",
    ):
        assert secret in (sample / "app" / "settings.py").read_text()
        assert secret not in stored
    # The code around them is still there for reviewers.
    snippets = "\n".join(row.snippet or "" for row in store.findings())
    assert 'AWS_ACCESS_KEY_ID = "[REDACTED:' in snippets


@pytest.mark.parametrize("secret", ["AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2" * 9])
def test_a_secret_in_a_sast_message_is_redacted(
    store: FindingsStore, tmp_path: Path, secret: str
) -> None:
    report = tmp_path / "bandit.json"
    report.write_text(
        json.dumps(
            {
                "generated_at": "2026-11-01T00:00:00Z",
                "errors": [],
                "metrics": {},
                "results": [
                    {
                        "test_id": "B105",
                        "test_name": "hardcoded_password_string",
                        "issue_text": f"Possible hardcoded password: '{secret}'",
                        "issue_severity": "LOW",
                        "issue_confidence": "MEDIUM",
                        "filename": "app.py",
                        "line_number": 3,
                        "line_range": [3],
                        "code": f"3 token = '{secret}'\n",
                    }
                ],
            }
        )
    )
    summary = ingest_paths([report], store, IngestOptions(repository="acme/x"))
    assert not summary.failed
    assert secret not in stored_text(store)


# A secrets rule of the kind Semgrep's registry ships (its id has a "secrets" segment): the
# token it matches is in no format the redaction patterns know, so only what the rule matched
# tells that it is a secret.
_TWITTER_RULE = """\
rules:
  - id: generic.secrets.security.detected-twitter-oauth
    pattern-regex: "[tT][wW][iI][tT][tT][eE][rR].{0,30}['\\"\\\\s][0-9a-zA-Z]{35,44}['\\"\\\\s]"
    message: Twitter OAuth detected
    languages: [regex]
    severity: ERROR
    metadata:
      cwe: ["CWE-798: Use of Hard-coded Credentials"]
      technology: [secrets, twitter]
"""
_TOKEN = "Zq9xWv7LmQ4r" + "T8yU2iO6pA3sD5fG7hJ9kL1zX"  # 37 letters and digits, no known format


@pytest.mark.parametrize(
    ("output", "with_repo"),
    [("--sarif", True), ("--sarif", False), ("--json", True)],
    ids=["sarif-with-repo", "sarif-alone", "json-with-repo"],
)
def test_what_a_semgrep_secrets_rule_matched_is_not_stored(
    store: FindingsStore, tmp_path: Path, output: str, with_repo: bool
) -> None:
    # Regression: Semgrep's secrets rules name no offender, and its JSON says "requires login"
    # instead of the matched lines, so nothing marked the token as a secret: it was stored in
    # the snippet (from the report's SARIF region, or read from the checkout) and the raw record.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(f'import os\n\nTWITTER_CONSUMER = "{_TOKEN}"\n')
    rules = tmp_path / "rules.yaml"
    rules.write_text(_TWITTER_RULE)
    report = tmp_path / f"semgrep{'.sarif' if output == '--sarif' else '.json'}"
    scan = subprocess.run(
        [semgrep_binary(), "--config", str(rules), output, "--metrics=off", "--quiet"]
        + ["--disable-version-check", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    report.write_text(scan.stdout)
    assert _TOKEN in scan.stdout or output == "--json"  # the JSON holds "requires login"

    options = IngestOptions(repo=repo if with_repo else None, repository="acme/app")
    summary = ingest_paths([report], store, options)
    assert not summary.failed
    [finding] = store.findings()
    assert finding.kind == "secret"
    assert _TOKEN not in stored_text(store)
    assert "[REDACTED:secret]" in (finding.snippet or "")


def test_a_gitleaks_8_sarif_secret_is_not_stored(store: FindingsStore, tmp_path: Path) -> None:
    # Regression: Gitleaks 8's SARIF names no offender; the secret is the region's snippet
    # (report/sarif.go). A bare hex token holds no pattern trigger, so it was stored.
    secret = "e5e9fa1ba31ecd1a" + "e84f75caaa474f3a663f05f4"
    report = tmp_path / "gitleaks.sarif"
    report.write_text(
        json.dumps(
            {
                "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {
                            "driver": {
                                "name": "gitleaks",
                                "semanticVersion": "v8.18.1",
                                "rules": [{"id": "generic-api-key", "name": "generic-api-key"}],
                            }
                        },
                        "results": [
                            {
                                "message": {
                                    "text": "generic-api-key has detected secret for file "
                                    ".secrets.baseline."
                                },
                                "ruleId": "generic-api-key",
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": ".secrets.baseline"},
                                            "region": {
                                                "startLine": 116,
                                                "startColumn": 22,
                                                "endLine": 116,
                                                "endColumn": 61,
                                                "snippet": {"text": secret},
                                            },
                                        }
                                    }
                                ],
                                "partialFingerprints": {
                                    "commitSha": "abe6b18e9da3ea3f0783368a2e640a070fdfb676",
                                    "email": "dev@example.com",
                                    "author": "dev",
                                    "date": "2026-11-01T00:00:00Z",
                                    "commitMessage": "add baseline",
                                },
                                "properties": {"tags": []},
                            }
                        ],
                    }
                ],
            }
        )
    )
    summary = ingest_paths([report], store, IngestOptions(repository="acme/app"))
    assert not summary.failed
    [finding] = store.findings()
    assert finding.kind == "secret"
    assert secret not in stored_text(store)
    assert finding.snippet == "[REDACTED:secret]"
