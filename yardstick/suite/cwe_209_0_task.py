import logging
from collections.abc import Callable

log = logging.getLogger("api")


def handle(handler: Callable[[], dict]) -> tuple[int, dict]:
    """Run an API request handler and turn its result into (status, JSON body): (200, result)
    on success; when it raises, log the error with its traceback and answer with status 500
    and a body of the form {"error": MESSAGE} that the public client displays.
    """
    # BEGIN SOLUTION
    try:
        return 200, handler()
    except Exception:
        log.exception("request failed")
        return 500, {"error": "internal error"}
