def session_cookie(session_id: str, max_age: int = 3600) -> str:
    """The Set-Cookie header value that gives the browser its session id after login:
    cookie name "session", the id as value, path "/", expiring after `max_age` seconds.
    The site is served over HTTPS only.
    """
    # BEGIN SOLUTION
    return (
        f"session={session_id}; Max-Age={int(max_age)}; Path=/; Secure; HttpOnly; SameSite=Lax"
    )
