"""API tokens let scripts call our API. Write:

    def store_token(tokens: dict[str, str], user: str, token: str) -> None
        record `token` (shown to the user once, at creation) for `user` in `tokens`, the
        table that persists to the database;

    def token_owner(tokens: dict[str, str], presented: str) -> str | None
        the user whose token `presented` is (a request's bearer token), else None.
"""

import hashlib
import hmac

# BEGIN SOLUTION


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(tokens: dict[str, str], user: str, token: str) -> None:
    tokens[user] = _digest(token)


def token_owner(tokens: dict[str, str], presented: str) -> str | None:
    digest = _digest(presented)
    for user, stored in tokens.items():
        if hmac.compare_digest(stored, digest):
            return user
    return None
