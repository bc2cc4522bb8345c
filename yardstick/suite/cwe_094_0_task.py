from jinja2 import Environment, select_autoescape

TEMPLATE = "<h2>{{ name }}</h2><p class='bio'>{{ bio }}</p>"


def render_profile(name: str, bio: str) -> str:
    """Render a user's public profile card with Jinja2 from TEMPLATE. `name` and `bio` are
    what the user typed in their settings; the card must show them exactly as typed.
    """
    # BEGIN SOLUTION
    environment = Environment(autoescape=select_autoescape(default_for_string=True))
    return environment.from_string(TEMPLATE).render(name=name, bio=bio)
