import os

import boto3
import jwt
import requests
from flask import Flask

app = Flask(__name__)

# ruleid: flywheel.python.hardcoded-credential-format
AWS_KEY_ID = "AKIA2OGYBAH6QZ7XKNMR"
# ruleid: flywheel.python.hardcoded-credential-format
DEPLOY_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK
-----END RSA PRIVATE KEY-----"""
# ruleid: flywheel.python.hardcoded-credential-format
SLACK_WEBHOOK = "https://hooks.slack.com/services/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"
# ok: flywheel.python.hardcoded-credential-format
GITHUB_TOKEN = "ghp_Z7bq3LmX9vT2kR8nW4pY6sD1fH5jC0aE3uGi"
# ok: flywheel.python.hardcoded-credential-format
EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"
# ok: flywheel.python.hardcoded-credential-format
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
# ok: flywheel.python.hardcoded-credential-format
SLACK_PREFIX = "xoxb-"


def clients(user_token):
    s3 = boto3.client(
        "s3",
        # ruleid: flywheel.python.hardcoded-credential-format
        aws_access_key_id="AKIA2OGYBAH6QZ7XKNMR",
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    # ruleid: flywheel.python.hardcoded-credential-format
    headers = {"Authorization": "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"}
    # ruleid: flywheel.python.hardcoded-credential-format
    requests.post("https://slack.com/api/chat.postMessage", headers={"Authorization": "Bearer xoxb-2893745610-4829361750-aB3dE5fG7hJ9kL1mN3pQ5rS7"}, timeout=5)
    # ok: flywheel.python.hardcoded-credential-format
    auth = {"Authorization": f"Bearer {user_token}"}
    # ok: flywheel.python.hardcoded-credential-format
    token_headers = {"Authorization": "Bearer " + os.environ["API_TOKEN"]}
    # ok: flywheel.python.hardcoded-credential-format
    placeholder = {"Authorization": "Bearer <your-token>"}
    return s3, headers, auth, token_headers, placeholder


# jwt with literal keys
def issue(user_id):
    # ruleid: flywheel.python.jwt-hardcoded-secret
    return jwt.encode({"sub": user_id}, "my-super-secret", algorithm="HS256")


def verify(token):
    # ruleid: flywheel.python.jwt-hardcoded-secret
    return jwt.decode(token, "s3cr3t", algorithms=["HS256"])


def verify_kw(token):
    # ruleid: flywheel.python.jwt-hardcoded-secret
    return jwt.decode(token, key=b"shared-key", algorithms=["HS256"])


def issue_ok(user_id):
    # ok: flywheel.python.jwt-hardcoded-secret
    return jwt.encode({"sub": user_id}, os.environ["JWT_SECRET"], algorithm="HS256")


def verify_ok(token, settings):
    # ok: flywheel.python.jwt-hardcoded-secret
    return jwt.decode(token, settings.JWT_PUBLIC_KEY, algorithms=["RS256"])


def verify_public_pem(token):
    # ok: flywheel.python.jwt-hardcoded-secret
    return jwt.decode(token, """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
-----END PUBLIC KEY-----""", algorithms=["ES256"])


# framework secret keys
# ruleid: flywheel.python.hardcoded-secret-key
SECRET_KEY = "dev"
# ruleid: flywheel.python.hardcoded-secret-key
app.secret_key = "change me"
# ruleid: flywheel.python.hardcoded-secret-key
app.config["SECRET_KEY"] = "secret"
# ruleid: flywheel.python.hardcoded-secret-key
app.config.update(SECRET_KEY="a-long-development-only-key-123", DEBUG=False)
# ruleid: flywheel.python.hardcoded-secret-key
app.config.from_mapping(SECRET_KEY="dev", DATABASE="app.db")
# ok: flywheel.python.hardcoded-secret-key
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
# ok: flywheel.python.hardcoded-secret-key
app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], DEBUG=False)
# ok: flywheel.python.hardcoded-secret-key
app.secret_key = os.urandom(32)
# reported by flywheel.python.hardcoded-credential (secrets.yml), not here:
# ok: flywheel.python.hardcoded-secret-key
DJANGO_SECRET_KEY = "django-insecure-9x$k2!m@p7q#w4e8r1t6y3u0i5o"


# literal fallbacks for secrets from the environment
# ruleid: flywheel.python.hardcoded-secret-default
FLASK_SECRET = os.environ.get("SECRET_KEY", "dev-secret-key")
# ruleid: flywheel.python.hardcoded-secret-default
DB_PASSWORD = os.getenv("DB_PASSWORD", "postgres")
# ok: flywheel.python.hardcoded-secret-default
DB_HOST = os.getenv("DB_HOST", "localhost")
# ok: flywheel.python.hardcoded-secret-default
TOKEN_URL = os.getenv("TOKEN_URL", "https://auth.example.com/token")
# ok: flywheel.python.hardcoded-secret-default
API_KEY = os.environ.get("API_KEY", "")
# ok: flywheel.python.hardcoded-secret-default
SIGNING_KEY = os.environ["SIGNING_KEY"]
