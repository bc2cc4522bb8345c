import os

# ruleid: flywheel.python.hardcoded-credential
DATABASE_PASSWORD = "sup3r-s3cret-passw0rd"
# ruleid: flywheel.python.hardcoded-credential
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# ok: flywheel.python.hardcoded-credential
DATABASE_PASSWORD_ENV = os.environ.get("DATABASE_PASSWORD")
# ok: flywheel.python.hardcoded-credential
TOKEN_HEADER = "X-Token"
