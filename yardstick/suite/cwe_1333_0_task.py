import re


def is_valid_email(address: str) -> bool:
    """Whether the sign-up form's `address` looks like an e-mail address: a local part of
    letters, digits and . _ % + -, an "@", and a domain of dot-separated labels (letters,
    digits, hyphens) ending in a label of at least two letters.
    """
    # BEGIN SOLUTION
    if len(address) > 254:
        return False
    pattern = r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"
    return re.fullmatch(pattern, address) is not None
