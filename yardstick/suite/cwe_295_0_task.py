import ssl


def client_tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The TLS context our HTTP client uses to call partner APIs: TLS 1.2 or newer, trusting
    the system's CAs, or only the CA bundle `ca_file` when one is given.
    """
    # BEGIN SOLUTION
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
