def login_filter(body: dict) -> dict:
    """Build the MongoDB query that finds the user logging in, from the parsed JSON body of
    POST /login ({"username": ..., "password_hash": ...}):
    {"username": USERNAME, "password_hash": HASH}. Raise ValueError when a field is missing.
    """
    # BEGIN SOLUTION
    username, password_hash = body.get("username"), body.get("password_hash")
    if not isinstance(username, str) or not isinstance(password_hash, str):
        raise ValueError("username and password_hash must be strings")
    return {"username": username, "password_hash": password_hash}
