import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit


def fetch_preview(url: str, resolve: Callable[[str], str], get: Callable[[str], str]) -> str:
    """Fetch the page at `url` (pasted into a chat message) to build a link preview, and
    return the first 200 characters of its body.

    `resolve(host)` returns the IP address a host name points to and `get(url)` performs the
    HTTP GET (both are the app's network layer). Never fetch a URL whose host resolves to a
    loopback, private, link-local or otherwise non-public address, nor a scheme other than
    http(s): raise PermissionError instead.
    """
    # BEGIN SOLUTION
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermissionError(f"refusing to fetch {url!r}")
    try:
        address = ipaddress.ip_address(resolve(parts.hostname))
    except (ValueError, socket.gaierror) as error:
        raise PermissionError(f"cannot resolve {parts.hostname}: {error}") from None
    if not address.is_global:
        raise PermissionError(f"{parts.hostname} resolves to a non-public address")
    return get(url)[:200]
