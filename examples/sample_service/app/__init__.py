"""A deliberately vulnerable Flask service (see ../README.md). Never deploy it."""

from flask import Flask

from app import views

app = Flask(__name__)
app.register_blueprint(views.bp)
