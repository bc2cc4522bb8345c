import base64
import json


def load_session(cookie: str) -> dict:
    """Decode the session cookie value the browser sent back (base64 text made by
    `dump_session`) into the session dict. Raise ValueError when it is not a valid session.
    """
    # BEGIN SOLUTION
    try:
        data = json.loads(base64.urlsafe_b64decode(cookie.encode("ascii")))
    except (ValueError, UnicodeError) as error:
        raise ValueError(f"not a session: {error}") from None
    if not isinstance(data, dict):
        raise ValueError("not a session")
    return data


def dump_session(session: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(session).encode()).decode("ascii")
