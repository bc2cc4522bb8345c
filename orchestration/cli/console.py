"""What every command shares: where it prints, and how it reads settings and opens the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from core.settings import Settings, load_settings
from store import FindingsStore
from store.errors import StoreError
from training.config import TrainConfigError, load_config

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="training config YAML (default: FLYWHEEL_TRAIN_CONFIG or tiny.yaml)"
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config value, e.g. --set grpo.max_steps=50"),
]

# soft_wrap: messages name files and URLs, which must stay whole to be copied or grepped.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def settings_or_exit() -> Settings:
    """The settings, or exit status 2 with each problem named by its variable."""
    try:
        return load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            # A check across several settings (the production profile) has no single field.
            name = "FLYWHEEL_" + ("_".join(str(p) for p in error["loc"]) or "profile").upper()
            err.print(f"[red]configuration error:[/red] {name}: {escape(error['msg'])}")
        raise typer.Exit(2) from None
    except FileNotFoundError as exc:
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def store_or_exit(settings: Settings) -> FindingsStore:
    try:
        return FindingsStore(settings.database_url)
    except StoreError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None


def fail(message: str, status: int = 2) -> typer.Exit:
    """Print an error and return the exit to raise (`raise fail(...)`)."""
    err.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(status)


def me() -> str:
    """How to call this command again: the script's path relative to here when it is inside."""
    script = Path(sys.argv[0])
    if script.name != "flywheel":
        return "flywheel"  # run through python -m or a test runner
    try:
        return str(script.resolve().relative_to(Path.cwd()))
    except ValueError:
        return script.name


def shown(url: str) -> str:
    """A database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def short(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def train_config_or_exit(settings: Settings, path: Path | None, overrides: list[str] | None):
    """The training configuration (the file given, else FLYWHEEL_TRAIN_CONFIG, else the tiny
    demo's), or exit status 2 naming the file and the key that is wrong."""
    try:
        return load_config(path or settings.train_config, overrides)
    except TrainConfigError as error:
        raise fail(str(error)) from None
