import ipaddress
from urllib.parse import urlsplit


def is_allowed_webhook(url: str) -> bool:
    """Decide whether a customer may register `url` as a webhook our servers will POST to.

    Allow only http and https URLs with a host. Refuse localhost and any host given as a
    literal IP address that is not public (loopback, private, link-local such as the cloud
    metadata service, reserved ...). Host names are not resolved here.
    """
    # BEGIN SOLUTION
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.isdigit() or host.startswith("0x"):
            return False  # 2130706433, 0x7f000001: numeric hosts that resolve to addresses
        return True
    return address.is_global
