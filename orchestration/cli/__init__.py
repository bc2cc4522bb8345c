"""The `flywheel` command line: one Typer sub-app per stage, merged into one command.

Each module holds the commands of one stage and stays thin: parse options, call the stage's
plain functions, print the typed result (`--json` prints its serialization).
"""

from __future__ import annotations

import typer

from orchestration.cli import (
    collect_commands,
    detector_commands,
    gate_commands,
    loop_commands,
    memory_commands,
    model_commands,
    review_commands,
    yardstick_commands,
)

app = typer.Typer(
    help="Findings Flywheel: scanner findings and reviewers' judgments into a better code model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for stage in (
    loop_commands,
    collect_commands,
    detector_commands,
    memory_commands,
    review_commands,
    gate_commands,
    model_commands,
    yardstick_commands,
):
    app.add_typer(stage.app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
