import logging


def log_login_attempt(logger: logging.Logger, username: str, success: bool) -> None:
    """Write one audit line per login attempt to `logger` at INFO level:
    "login ok user=USERNAME" or "login failed user=USERNAME". `username` is whatever the
    client sent; one attempt must always be exactly one line of the log.
    """
    # BEGIN SOLUTION
    shown = username.encode("unicode_escape").decode("ascii")
    logger.info("login %s user=%s", "ok" if success else "failed", shown)
