import secrets
import string


def password_reset_token(length: int = 32) -> str:
    """Return a new token for a password-reset link: `length` characters from letters and
    digits. Whoever holds the token can reset the account's password.
    """
    # BEGIN SOLUTION
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
