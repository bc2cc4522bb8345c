"""`python -m orchestration.cli`: the same command line as `flywheel` (accelerate launches it)."""

from orchestration.cli import main

main()
