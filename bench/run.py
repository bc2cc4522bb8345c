"""The main job's wall time and peak memory: `flywheel run` from an empty data folder (tiny
model build included), then again on the same folder (nothing to do).

    .venv/bin/python bench/run.py [--config training/configs/tiny.yaml]

Each run is a fresh `flywheel run --json` subprocess; peak memory is the largest resident set
of that process tree (getrusage of the children, measured per run in a wrapper process).
One JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FLYWHEEL = str(Path(sys.executable).parent / "flywheel")


def measured(home: Path, config: Path | None) -> dict:
    """One `flywheel run`, timed, in a wrapper whose children's peak RSS is its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYWHEEL_", "MLFLOW_"))}
    env["FLYWHEEL_HOME"] = str(home)
    if config is not None:
        env["FLYWHEEL_TRAIN_CONFIG"] = str(config)
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rc': done.returncode, 'wall_s': wall, 'peak_mb': peak,"
        " 'out': done.stdout[-20000:], 'err': done.stderr[-3000:]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, FLYWHEEL, "run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"flywheel run failed:\n{result['err']}")
    result["summary"] = json.loads(result.pop("out").strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="training config YAML")
    args = parser.parse_args()
    figures: dict = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="flywheel-run-") as scratch:
        home = Path(scratch) / "home"
        first = measured(home, args.config)
        second = measured(home, args.config)
    stages = {s["stage"]: s["seconds"] for s in first["summary"]["stages"]}
    for name, seconds in stages.items():
        print(f"  {name}: {seconds:.1f} s", file=sys.stderr)
    model = first["summary"]["model"]
    figures.update(
        {
            "first_run_wall_s": round(first["wall_s"], 1),
            "first_run_peak_mb": round(first["peak_mb"]),
            "second_run_wall_s": round(second["wall_s"], 1),
            "second_run_peak_mb": round(second["peak_mb"]),
            "tiny_model_build_s": stages.get("tiny base model"),
            "retrain_job_s": next(
                (s for name, s in stages.items() if name.startswith("gate, datasets")), None
            ),
            "findings": first["summary"]["findings"]["stored"],
            "decided": first["summary"]["snapshot"]["decided"],
            "gate_passed": first["summary"]["gate"]["passed"],
            "model_version": model.get("version"),
            "promoted": model.get("promoted"),
            "second_run_trained": any(
                run.startswith("retrain_job") for run in second["summary"]["dagster_runs"]
            ),
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
