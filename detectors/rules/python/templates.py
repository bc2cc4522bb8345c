import html

import jinja2
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from fastapi import FastAPI
from flask import Flask, render_template, request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

app = Flask(__name__)
api = FastAPI()

# ruleid: flywheel.python.jinja2-autoescape-disabled
raw_env = Environment(loader=FileSystemLoader("templates"), autoescape=False)
# ruleid: flywheel.python.jinja2-autoescape-missing
default_env = jinja2.Environment(loader=jinja2.PackageLoader("app"))
# ok: flywheel.python.jinja2-autoescape-disabled, flywheel.python.jinja2-autoescape-missing
html_env = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape(["html", "xml"]))
# ok: flywheel.python.jinja2-autoescape-disabled, flywheel.python.jinja2-autoescape-missing
strict_env = jinja2.Environment(autoescape=True)


def configure(options):
    # ok: flywheel.python.jinja2-autoescape-missing
    env = jinja2.Environment(**options)
    # ruleid: flywheel.python.jinja2-autoescape-disabled
    app.jinja_env.autoescape = False
    return env


@app.route("/greet")
def greet():
    name = request.args.get("name", "")
    # ruleid: flywheel.python.markup-from-request
    banner = Markup(f"<h1>Hello {name}</h1>")
    # ruleid: flywheel.python.markup-from-request
    bio = Markup(request.form["bio"])
    return render_template("greet.html", banner=banner, bio=bio)


@api.get("/badge")
def badge(label: str):
    # ruleid: flywheel.python.markup-from-request
    return {"html": str(Markup("<span>" + label + "</span>"))}


@app.route("/greet-safe")
def greet_safe():
    name = request.args.get("name", "")
    # ok: flywheel.python.markup-from-request
    banner = Markup("<h1>Hello {}</h1>").format(name)
    # ok: flywheel.python.markup-from-request
    safe_bio = Markup(html.escape(request.form["bio"]))
    # ok: flywheel.python.markup-from-request
    footer = Markup("<footer>&copy; Example</footer>")
    return render_template("greet.html", banner=banner, bio=safe_bio, footer=footer)


def profile(request):
    # ruleid: flywheel.python.django-mark-safe-from-request
    bio = mark_safe(request.POST.get("bio", ""))
    # ruleid: flywheel.python.django-mark-safe-from-request
    title = mark_safe("<h1>%s</h1>" % request.GET["title"])
    # ruleid: flywheel.python.django-mark-safe-from-request
    link = format_html('<a href="/u/' + request.GET["user"] + '">{}</a>', "profile")
    return render(request, "profile.html", {"bio": bio, "title": title, "link": link})


def profile_safe(request):
    # ok: flywheel.python.django-mark-safe-from-request
    title = format_html("<h1>{}</h1>", request.GET["title"])
    # ok: flywheel.python.django-mark-safe-from-request
    bio = mark_safe("<p>%s</p>" % escape(request.POST.get("bio", "")))
    # ok: flywheel.python.django-mark-safe-from-request
    icon = mark_safe('<svg class="icon"><use href="#star"></use></svg>')
    return HttpResponse(title + bio + icon)


def wrapped(request):
    # ok: flywheel.python.django-mark-safe-from-request
    return HttpResponse(mark_safe(format_html("<b>{}</b>", request.GET["q"])))
