from flask import Flask, request

PRODUCTS = ["red shoes", "blue shirt", "green hat"]


def create_app() -> Flask:
    """Create a Flask app with GET /search?q=TEXT returning an HTML page that shows
    "Results for TEXT" in an <h1> and one <li> per product of PRODUCTS containing TEXT.
    """
    # BEGIN SOLUTION
    from markupsafe import escape

    app = Flask(__name__)

    @app.get("/search")
    def search():
        query = request.args.get("q", "")
        items = "".join(f"<li>{escape(p)}</li>" for p in PRODUCTS if query in p)
        return f"<h1>Results for {escape(query)}</h1><ul>{items}</ul>"

    return app
