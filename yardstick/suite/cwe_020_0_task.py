from urllib.parse import urlsplit


def is_trusted_origin(origin: str, site_domain: str) -> bool:
    """For CORS: True when the request's Origin header `origin` (e.g.
    "https://app.example.com") is https and its host is `site_domain` itself or one of its
    subdomains.
    """
    # BEGIN SOLUTION
    try:
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    domain = site_domain.lower()
    return parts.scheme == "https" and (host == domain or host.endswith("." + domain))
