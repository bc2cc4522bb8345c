from urllib.parse import urlsplit


def redirect_target(next_url: str) -> str:
    """After login, the app redirects to the `next` query parameter. Return `next_url` when
    it is a path on this site (such as "/orders?page=2"), else "/".
    """
    # BEGIN SOLUTION
    candidate = next_url.strip()
    if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return "/"
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return "/"
    return candidate
