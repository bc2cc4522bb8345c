import html
from urllib.parse import urlparse


def render_link(url: str, label: str) -> str:
    """Render a link a user added to their profile as `<a href="URL">LABEL</a>`.

    Only http, https and mailto links are shown as links; for anything else return the
    label alone, as text. The label shows exactly as typed.
    """
    # BEGIN SOLUTION
    scheme = urlparse(url.strip()).scheme.lower()
    if scheme not in ("http", "https", "mailto"):
        return html.escape(label)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
