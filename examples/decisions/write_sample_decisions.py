"""Write sample_service.jsonl: the sample team's triage of the sample service's findings.

The decisions below are the data (a reviewer's verdict, note and fixed code per flagged place);
this script only matches them to the findings `flywheel run` collects and writes them in the
labels export format (`flywheel labels export`), so the file stays in step with the sample and
the rule pack. Run it after changing either:

    .venv/bin/python examples/decisions/write_sample_decisions.py

alice triaged every finding with code; bob, a second reviewer, triaged the ones in db.py,
ops.py and views.py independently (they agree: the gate's kappa has pairs to judge). The
pip-audit findings carry no code (a package, not a place) and are left for the review queue.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.settings import Settings  # noqa: E402
from core.verdict import Verdict  # noqa: E402
from orchestration.definitions import build_definitions  # noqa: E402
from orchestration.loop import (  # noqa: E402
    SAMPLE_DECISIONS,
    LoopSummary,
    collect_sample,
    loop_settings,
    open_instance,
)
from store.label_transfer import EXPORT_FIELDS  # noqa: E402

TP, FP = Verdict.TRUE_POSITIVE.value, Verdict.FALSE_POSITIVE.value

# Fixed code per function (or module part), as the reviewer wrote it in the workbench.
FIXES = {
    ("app/crypto.py", "def hash_password"): """\
def hash_password(password):
    # scrypt: salted and memory-hard; the salt is stored with the digest.
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return salt.hex() + ":" + digest.hex()
""",
    ("app/crypto.py", "def reset_token"): """\
def reset_token():
    # A token someone must not guess comes from the OS's CSPRNG.
    return secrets.token_hex(16)
""",
    ("app/db.py", "def find_orders"): """\
def find_orders(customer):
    conn = connect()
    cursor = conn.cursor()
    cursor.execute("SELECT id, total FROM orders WHERE customer = ?", (customer,))
    return cursor.fetchall()
""",
    ("app/db.py", "def search_products"): """\
def search_products(term):
    conn = connect()
    query = "SELECT name FROM products WHERE name LIKE ?"
    return conn.execute(query, (f"%{term}%",)).fetchall()
""",
    ("app/ops.py", "def ping"): """\
def ping(host):
    # No shell: the host is one argument, and must look like a host name.
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        raise ValueError("not a host name")
    return subprocess.check_output(["ping", "-c", "1", host])
""",
    ("app/ops.py", "def archive"): """\
def archive(name):
    # No shell; "--" ends the options so a name cannot become one.
    subprocess.run(["tar", "czf", "/tmp/backup.tgz", "--", name], check=True)
""",
    ("app/sessions.py", "def load_session"): """\
def load_session(blob):
    # Sessions are plain data: JSON cannot build objects.
    return json.loads(blob)
""",
    ("app/sessions.py", "def load_config"): """\
def load_config(text):
    return yaml.safe_load(text)
""",
    ("app/settings.py", None): """\
import os

DEBUG = False

# Credentials come from the environment, where the secret manager puts them.
AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]

SECRET_KEY = os.environ["FLASK_SECRET_KEY"]
""",
    ("app/views.py", "def hello"): """\
@bp.route("/hello")
def hello():
    name = request.args.get("name", "world")
    # The name is template data, escaped by Jinja; never part of the template.
    return render_template_string("<h1>Hello {{ name }}</h1>", name=name)
""",
    ("app/views.py", "def go"): """\
@bp.route("/go")
def go():
    # Only paths on this site: no scheme, no host.
    target = request.args.get("next", "/")
    if urlsplit(target).netloc or urlsplit(target).scheme or not target.startswith("/"):
        target = "/"
    return redirect(target)
""",
    ("app/views.py", "def download"): """\
@bp.route("/download")
def download():
    # send_from_directory refuses paths that leave the folder.
    return send_from_directory("/srv/files", request.args["file"])
""",
    ("app/views.py", "def fetch"): """\
ALLOWED_HOSTS = {"api.partner.example", "status.partner.example"}


@bp.route("/fetch")
def fetch():
    # Only known hosts over HTTPS, certificates checked; the body is returned as text.
    url = urlsplit(request.args["url"])
    if url.scheme != "https" or url.hostname not in ALLOWED_HOSTS:
        abort(400)
    body = requests.get(url.geturl(), timeout=5).text
    return Response(body, mimetype="text/plain")
""",
    ("requirements.txt", None): """\
flask==2.3.3
jinja2==3.1.4
pyyaml==6.0.1
requests==2.32.3
urllib3==2.2.2
""",
}

# Reviewers' calls that are not "confirmed, here is the fix": (path, line, rule suffix).
DISMISSED = {
    ("app/ops.py", 4, "B404"): "Importing subprocess is not a weakness; the calls are judged.",
    ("app/sessions.py", 3, "B403"): "Importing pickle is not a weakness; pickle.loads is.",
    ("app/ops.py", 18, "B607"): "du is resolved from the service's fixed PATH; no user input.",
    ("app/ops.py", 18, "B603"): "Arguments as a list, no shell: the safe form of this call.",
    ("app/views.py", 56, "B201"): "debug=True only under __main__ (local runs), never served.",
    ("app/views.py", 56, "flask-debug"): "Only under __main__ for local runs; prod uses gunicorn.",
    ("app/views.py", 18, "xss"): "ping's output is returned as bytes, not rendered as HTML.",
}
SECOND_REVIEWER_PATHS = ("app/db.py", "app/ops.py", "app/views.py")


def decision(finding: dict) -> tuple[str, str | None, str | None] | None:
    """(verdict, note, fixed code) for a finding, or None to leave it unlabelled."""
    if finding["tool"] == "pip-audit":
        return None
    for (path, line, rule), note in DISMISSED.items():
        if (
            finding["path"] == path
            and finding["start_line"] == line
            and finding["rule_id"].endswith(rule)
        ):
            return FP, note, None
    fix = FIXES.get((finding["path"], finding["enclosing"]))
    if fix is None:
        raise SystemExit(f"no decision for {finding['rule_id']} at {finding['path']}")
    return TP, None, fix


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        settings = loop_settings(Settings(home=Path(home)))
        defs = build_definitions(settings)
        collect_sample(defs, open_instance(settings), LoopSummary())
        store = defs.resources["store"].store
        lines = []
        for record in store.findings():
            finding = record.model_dump(mode="json", include=set(EXPORT_FIELDS))
            decided = decision(finding)
            if decided is None:
                continue
            verdict, note, fixed = decided
            reviewers = ["alice"]
            if finding["path"] in SECOND_REVIEWER_PATHS:
                reviewers.append("bob")
            labels = [
                {
                    "reviewer": reviewer,
                    "verdict": verdict,
                    "note": note,
                    "fixed_code": fixed if reviewer == "alice" else None,
                    "kind": "review",
                    "source": "sample-team-triage",
                }
                for reviewer in reviewers
            ]
            finding.pop("id")
            lines.append(json.dumps({"finding": finding, "labels": labels}, sort_keys=True))
        store.close()
    SAMPLE_DECISIONS.parent.mkdir(parents=True, exist_ok=True)
    SAMPLE_DECISIONS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} decisions -> {SAMPLE_DECISIONS}")


if __name__ == "__main__":
    main()
