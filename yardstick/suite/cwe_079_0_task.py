import html


def render_comment(author: str, text: str) -> str:
    """Render one blog comment as an HTML fragment:

        <div class="comment"><b>AUTHOR</b><p>TEXT</p></div>

    Both `author` and `text` are typed by site visitors; they must show exactly as typed.
    """
    # BEGIN SOLUTION
    return (
        f'<div class="comment"><b>{html.escape(author)}</b>'
        f"<p>{html.escape(text)}</p></div>"
    )
