"""`flywheel users ...`, `flywheel labels ...` and `flywheel ui`: the reviewer workbench."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from orchestration.cli.console import JsonOption, fail, out, settings_or_exit, store_or_exit
from store.accounts import add_user, set_active, users
from store.errors import StoreError
from store.label_transfer import (
    export_dataset,
    export_jsonl,
    import_defectdojo,
    import_jsonl,
    import_sarif_suppressions,
)

APP = Path(__file__).resolve().parents[1] / "workbench_app.py"

users_app = typer.Typer(
    help="Workbench accounts: add, disable, enable, list.", no_args_is_help=True
)

labels_app = typer.Typer(
    help="Export labels (JSONL, datasets) and import triage decisions.", no_args_is_help=True
)
app = typer.Typer()
app.add_typer(users_app, name="users")
app.add_typer(labels_app, name="labels")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="reviewer | lead | platform | admin")] = "reviewer",
    email: Annotated[str | None, typer.Option(help="matched to single sign-on logins")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="single sign-on only (needs --email)")
    ] = False,
) -> None:
    """Create an account. The password is prompted for (twice), or read from stdin; it is
    stored only as an argon2id hash."""

    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise fail("the passwords differ: nothing was written")
    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        user = add_user(store.engine, username, role, password, email=email)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    out.print(f"user {escape(user.username)} added ({user.role})")


def _set_active(username: str, active: bool) -> None:

    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        set_active(store.engine, username, active)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    out.print(f"user {escape(username)} {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Disable an account: it can no longer log in; its labels stay."""
    _set_active(username, False)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Enable a disabled account again."""
    _set_active(username, True)


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """Every account with its role and whether it is active."""

    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        accounts = users(store.engine)
    finally:
        store.close()
    if as_json:
        for user in accounts:
            sys.stdout.write(
                json.dumps(
                    {
                        "username": user.username,
                        "role": user.role,
                        "email": user.email,
                        "active": user.active,
                        "sso_only": user.password_hash is None,
                    }
                )
                + "\n"
            )
        return
    table = Table(title="users")
    for column in ("user", "role", "email", "active"):
        table.add_column(column)
    for user in accounts:
        table.add_row(escape(user.username), user.role, escape(user.email or ""), str(user.active))
    out.print(table)


@labels_app.command("export")
def labels_export(
    path: Annotated[Path, typer.Argument(help="the JSONL file to write")],
    include_undecided: Annotated[
        bool, typer.Option(help="also disputed and needs-info findings")
    ] = False,
    dataset: Annotated[
        Path | None, typer.Option(help="also save a datasets.Dataset to this folder")
    ] = None,
) -> None:
    """Labelled findings with their labels and remediations, one JSON object per line."""

    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        count = export_jsonl(store.engine, path, decided_only=not include_undecided)
        if dataset is not None:
            export_dataset(store.engine, decided_only=not include_undecided).save_to_disk(
                str(dataset)
            )
    finally:
        store.close()
    out.print(f"{count} labelled findings -> {escape(str(path))}")


@labels_app.command("import")
def labels_import(
    path: Annotated[
        Path | None, typer.Argument(help="labels file (not needed for --format sarif)")
    ] = None,
    format: Annotated[
        str, typer.Option(help="jsonl (our export) | defectdojo | sarif (suppressions)")
    ] = "jsonl",
    as_json: JsonOption = False,
) -> None:
    """Import triage decisions as labels, their source recorded. jsonl: an export of a
    flywheel store; defectdojo: a findings export (false_p, verified, risk_accepted);
    sarif: every stored finding its tool reported as suppressed becomes a false positive.
    One transaction: a bad record writes nothing."""

    if format not in ("jsonl", "defectdojo", "sarif"):
        raise fail(f"--format {format!r} is not one of jsonl, defectdojo, sarif")
    if format != "sarif" and path is None:
        raise fail(f"--format {format} needs the file to import")
    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        if format == "sarif":
            summary = import_sarif_suppressions(store.engine)
        elif format == "defectdojo":
            summary = import_defectdojo(store.engine, path)
        else:
            summary = import_jsonl(store.engine, path)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    if as_json:
        sys.stdout.write(summary.model_dump_json() + "\n")
        return
    out.print(
        f"imported {summary.imported}, already there {summary.already}, "
        f"no decision {summary.skipped}, unmatched {len(summary.unmatched)}"
    )
    for example in summary.unmatched[:5]:
        out.print(f"  unmatched: {escape(example)}")


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="port to serve on")] = 8501,
    address: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
) -> None:
    """Start the reviewer workbench (Streamlit) on the configured store."""
    settings = settings_or_exit()
    store_or_exit(settings).close()  # a clear error now rather than in the browser
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    out.print(f"workbench on http://{address}:{port}  (create a user: flywheel users add NAME)")
    raise typer.Exit(subprocess.call(command, env=os.environ.copy()))
