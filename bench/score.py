"""Benchmark: score batches of model completions with the whole ensemble (the GRPO reward path).

    .venv/bin/python bench/score.py [--repeats 3] [--single 8]

Each completion is a markdown answer holding ~30 lines of Python: a Flask view, a database
helper, a subprocess wrapper, a crypto helper... half of them vulnerable, with identifiers varied
per sample so no two files are equal, and one in eight declaring a dependency inline
(`# pip install`), so the dependency check has work. Phases:

1. batch of 64 completions, scored `--repeats` times (median reported as `batch64_s`);
2. batch of 512 (median of `--repeats`; `per_s_batch512` = 512 / median);
3. one at a time: `--single` completions, each its own `score` call, as a reward that scans
   per sample would (`per_s_one_at_a_time`).
Semgrep, Bandit and the dependency check all run; findings map back to their samples.
Prints a line per phase, then one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.semgrep_runner import semgrep_binary  # noqa: E402
from training.reward_config import RewardConfig  # noqa: E402
from training.scoring import Sample, Scorer  # noqa: E402

ADVISORIES = ROOT / "examples" / "advisories"

VIEW = """from flask import Flask, request, jsonify
import sqlite3

app = Flask(__name__)
DB_PATH = "{name}.db"


def connect():
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


@app.route("/{name}/search")
def search_{name}():
    term = request.args.get("q", "")
    limit = int(request.args.get("limit", "20"))
    conn = connect()
    try:
        cursor = conn.cursor()
        {query}
        rows = [dict(row) for row in cursor.fetchall()]
    finally:
        conn.close()
    return jsonify(results=rows, count=len(rows))


@app.route("/{name}/health")
def health_{name}():
    return jsonify(status="ok")
"""
QUERIES = (
    'cursor.execute("SELECT * FROM {name} WHERE title LIKE ? LIMIT ?", (f"%{{term}}%", limit))',
    "cursor.execute(f\"SELECT * FROM {name} WHERE title LIKE '%{{term}}%' LIMIT {{limit}}\")",
)

RUNNER = '''import logging
import shlex
import subprocess

log = logging.getLogger("{name}")


def run_{name}(host: str, count: int = 3) -> str:
    """Ping a host and return the output."""
    if count < 1 or count > 10:
        raise ValueError("count must be between 1 and 10")
    {call}
    if result.returncode != 0:
        log.warning("ping %s failed: %s", host, result.stderr)
        return ""
    return result.stdout


def summary_{name}(hosts: list[str]) -> dict[str, bool]:
    status = {{}}
    for host in hosts:
        output = run_{name}(host)
        status[host] = "0% packet loss" in output
        log.info("host %s up=%s", host, status[host])
    return status


if __name__ == "__main__":
    import sys
    print(summary_{name}(sys.argv[1:]))
'''
CALLS = (
    'result = subprocess.run(["ping", "-c", str(count), host], capture_output=True, text=True)',
    'result = subprocess.run(f"ping -c {{count}} {{host}}", shell=True, capture_output=True, text=True)',
)

TOKENS = '''import hashlib
import hmac
import os
{imports}


def new_token_{name}(length: int = 32) -> str:
    """A token for password-reset links."""
    {token}


def hash_password_{name}(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt or os.urandom(16)
    {digest}
    return salt, digest


def check_password_{name}(password: str, salt: bytes, expected: bytes) -> bool:
    _, digest = hash_password_{name}(password, salt)
    return hmac.compare_digest(digest, expected)


def rotate_{name}(tokens: dict[str, str], user: str) -> str:
    token = new_token_{name}()
    tokens[user] = token
    return token


def revoke_{name}(tokens: dict[str, str], user: str) -> bool:
    return tokens.pop(user, None) is not None
'''
TOKEN_VARIANTS = (
    (
        "import secrets",
        "return secrets.token_urlsafe(length)",
        'digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)',
    ),
    (
        "import random\nimport string",
        "return ''.join(random.choice(string.ascii_letters) for _ in range(length))",
        "digest = hashlib.md5(salt + password.encode()).digest()",
    ),
)

LOADER = '''# pip install {requirement}
import json
from pathlib import Path

import yaml


def load_{name}(path: str) -> dict:
    """Read a settings file (YAML or JSON)."""
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".json"):
        return json.loads(text)
    {load}
    if not isinstance(data, dict):
        raise ValueError(f"{{path}}: expected a mapping")
    return data


def merge_{name}(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_{name}(merged[key], value)
        else:
            merged[key] = value
    return merged


def settings_{name}(paths: list[str]) -> dict:
    result: dict = {{}}
    for path in paths:
        result = merge_{name}(result, load_{name}(path))
    return result
'''
LOADS = (
    ("pyyaml==6.0.1", "data = yaml.safe_load(text)"),
    ("pyyaml==5.3", "data = yaml.load(text, Loader=yaml.Loader)"),
)


def completion(index: int, rng: random.Random) -> str:
    """A markdown answer with ~30 lines of Python; odd variants are vulnerable."""
    name = f"{rng.choice(['orders', 'users', 'items', 'notes', 'files'])}_{index}"
    vulnerable = rng.random() < 0.5
    kind = index % 8
    if kind == 7:
        requirement, load = LOADS[vulnerable]
        code = LOADER.format(name=name, requirement=requirement, load=load)
    elif kind in (0, 1, 2):
        code = VIEW.format(name=name, query=QUERIES[vulnerable].format(name=name))
    elif kind in (3, 4):
        code = RUNNER.format(name=name, call=CALLS[vulnerable])
    else:
        imports, token, digest = TOKEN_VARIANTS[vulnerable]
        code = TOKENS.format(name=name, imports=imports, token=token, digest=digest)
    return f"Here is an implementation:\n\n```python\n{code}```\n\nIt handles errors.\n"


def samples(count: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    return [Sample.from_completion(completion(i, rng)) for i in range(count)]


def timed(scorer: Scorer, batch: list[Sample]) -> tuple[float, list]:
    start = time.perf_counter()
    scores = scorer.score(batch)
    return time.perf_counter() - start, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--single", type=int, default=8, help="samples scored one at a time")
    args = parser.parse_args()

    scorer = Scorer(RewardConfig(advisory_db=str(ADVISORIES)))
    scorer.score(samples(2, seed=99))  # warm: Bandit's plugins, imports, the OS file cache

    batch64 = samples(64, seed=1)
    lines = [len(s.code.splitlines()) for s in batch64 if s.code]
    times64 = []
    for _ in range(args.repeats):
        seconds, scores = timed(scorer, batch64)
        times64.append(seconds)
    labels: dict[str, int] = {}
    for score in scores:
        labels[score.label] = labels.get(score.label, 0) + 1
    print(
        f"batch of 64: {statistics.median(times64):.2f} s median of {args.repeats} "
        f"({statistics.mean(lines):.0f} lines each on average; labels {labels})"
    )

    batch512 = samples(512, seed=2)
    times512 = [timed(scorer, batch512)[0] for _ in range(args.repeats)]
    median512 = statistics.median(times512)
    print(f"batch of 512: {median512:.2f} s median -> {512 / median512:.0f} samples/s")

    singles = samples(args.single, seed=3)
    start = time.perf_counter()
    for sample in singles:
        scorer.score([sample])
    single_s = time.perf_counter() - start
    print(f"one at a time: {args.single} samples in {single_s:.2f} s")

    figures = {
        "per_s_batch512": round(512 / median512, 1),
        "batch512_s": round(median512, 3),
        "batch64_s": round(statistics.median(times64), 3),
        "per_s_one_at_a_time": round(args.single / single_s, 2),
        "lines_per_sample": round(statistics.mean(lines), 1),
        "labels_batch64": labels,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "semgrep": semgrep_binary(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
