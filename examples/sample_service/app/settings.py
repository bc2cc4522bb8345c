"""Settings with the mistakes reviewers see every week. The credentials are fake."""

DEBUG = True

# Hard-coded credentials (CWE-798): these belong in a secret manager.
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DATABASE_PASSWORD = "sup3r-s3cret-passw0rd"

SECRET_KEY = "not-a-real-flask-secret"


def database_url() -> str:
    return f"postgresql://app:{DATABASE_PASSWORD}@db.internal:5432/orders"
