import os


def database_settings() -> dict:
    """The connection settings of the reporting database: host from DB_HOST (default
    "localhost"), port 5432, user "reporting", and the password the deployment puts in the
    environment variable DB_PASSWORD. Raise RuntimeError when the password is not set.
    """
    # BEGIN SOLUTION
    password = os.environ.get("DB_PASSWORD")
    if not password:
        raise RuntimeError("DB_PASSWORD is not set")
    return {
        "host": os.environ.get("DB_HOST", "localhost"),
        "port": 5432,
        "user": "reporting",
        "password": password,
    }
