import os

from flask import Flask, abort, send_from_directory


def create_app(static_dir: str) -> Flask:
    """Create a Flask app whose route GET /files/<path:name> returns the file `name`
    from the folder `static_dir` (subfolders allowed), or 404 when there is no such file
    inside that folder.
    """
    # BEGIN SOLUTION
    app = Flask(__name__)

    @app.get("/files/<path:name>")
    def files(name: str):
        if not os.path.isfile(os.path.join(static_dir, name)):
            abort(404)
        return send_from_directory(static_dir, name)

    return app
