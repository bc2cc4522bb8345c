"""Task families: small Python tasks, each with an insecure and a secure way to write it.

They are the seeded mix the learning-signal test trains on (the ensemble flags every insecure
variant and none of the secure ones; `tests/training/test_families.py` holds that against the
real scanners), part of the corpus the tiny demo tokenizer is trained on, and the demo
corpus `flywheel run` labels. Names are drawn from a seeded generator, so the same seed gives
the same tasks.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict

from training.completions import fenced
from training.datasets import DatasetBundle


class Family(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cwe: int
    task: str  # what the function must do; {fn} is its name
    insecure: str  # {fn}, {arg} are filled in
    secure: str


FAMILIES: tuple[Family, ...] = (
    Family(
        name="shell",
        cwe=78,
        task="Write a Python function `{fn}({arg})` that runs the command in `{arg}` and returns "
        "its output.",
        insecure="import subprocess\n\n\ndef {fn}({arg}):\n"
        "    result = subprocess.run({arg}, shell=True, capture_output=True, text=True)\n"
        "    return result.stdout\n",
        secure="import shlex\nimport subprocess\n\n\ndef {fn}({arg}):\n"
        "    result = subprocess.run(shlex.split({arg}), capture_output=True, text=True)\n"
        "    return result.stdout\n",
    ),
    Family(
        name="sql",
        cwe=89,
        task="Write a Python function `{fn}(conn, {arg})` that returns the user row whose name is "
        "`{arg}`.",
        insecure="def {fn}(conn, {arg}):\n"
        "    cursor = conn.cursor()\n"
        "    cursor.execute(f\"SELECT * FROM users WHERE name = '{{{arg}}}'\")\n"
        "    return cursor.fetchone()\n",
        secure="def {fn}(conn, {arg}):\n"
        "    cursor = conn.cursor()\n"
        '    cursor.execute("SELECT * FROM users WHERE name = ?", ({arg},))\n'
        "    return cursor.fetchone()\n",
    ),
    Family(
        name="yaml",
        cwe=502,
        task="Write a Python function `{fn}({arg})` that parses the YAML text `{arg}` into Python "
        "objects.",
        insecure="import yaml\n\n\ndef {fn}({arg}):\n"
        "    data = yaml.load({arg}, Loader=yaml.Loader)\n    return data\n",
        secure="import yaml\n\n\ndef {fn}({arg}):\n    data = yaml.safe_load({arg})\n"
        "    return data\n",
    ),
    Family(
        name="pickle",
        cwe=502,
        task="Write a Python function `{fn}({arg})` that decodes the message bytes `{arg}` "
        "received from a client.",
        insecure="import pickle\n\n\ndef {fn}({arg}):\n    message = pickle.loads({arg})\n"
        "    return message\n",
        secure="import json\n\n\ndef {fn}({arg}):\n    message = json.loads({arg})\n"
        "    return message\n",
    ),
    Family(
        name="eval",
        cwe=95,
        task="Write a Python function `{fn}({arg})` that turns the literal in the string `{arg}` "
        "into a Python value.",
        insecure="def {fn}({arg}):\n    value = eval({arg})\n    return value\n",
        secure="import ast\n\n\ndef {fn}({arg}):\n    value = ast.literal_eval({arg})\n"
        "    return value\n",
    ),
    Family(
        name="tls",
        cwe=295,
        task="Write a Python function `{fn}({arg})` that downloads the page at the URL `{arg}`.",
        insecure="import requests\n\n\ndef {fn}({arg}):\n"
        "    response = requests.get({arg}, verify=False, timeout=10)\n"
        "    return response.text\n",
        secure="import requests\n\n\ndef {fn}({arg}):\n"
        "    response = requests.get({arg}, timeout=10)\n"
        "    return response.text\n",
    ),
)

_VERBS = ["load", "read", "fetch", "handle", "get", "parse", "process", "run", "open", "decode"]
_NOUNS = ["config", "data", "item", "record", "input", "payload", "entry", "value", "request"]
_ARGS = ["text", "source", "raw", "payload", "body", "query", "name", "target", "blob", "line"]


class Task(BaseModel):
    model_config = ConfigDict(frozen=True)

    family: str
    cwe: int
    prompt: str
    insecure: str
    secure: str


def tasks(count: int, seed: int = 0, families: tuple[Family, ...] = FAMILIES) -> list[Task]:
    """`count` tasks, families in turn, names from a generator seeded with `seed`."""
    rng = random.Random(seed)
    drawn = []
    for index in range(count):
        family = families[index % len(families)]
        fn = f"{rng.choice(_VERBS)}_{rng.choice(_NOUNS)}"
        arg = rng.choice(_ARGS)
        drawn.append(
            Task(
                family=family.name,
                cwe=family.cwe,
                prompt=family.task.format(fn=fn, arg=arg),
                insecure=family.insecure.format(fn=fn, arg=arg),
                secure=family.secure.format(fn=fn, arg=arg),
            )
        )
    return drawn


def families_bundle(
    sft_tasks: int = 60, grpo_tasks: int = 96, insecure_per_secure: int = 2, seed: int = 11
):
    """A DatasetBundle of the families alone: SFT on a seeded mix of secure and insecure
    solutions (`insecure_per_secure` insecure for each secure one), GRPO on other tasks of
    the same families. The learning-signal test and bench/training_steps.py train on it."""
    bundle = DatasetBundle(snapshot_id=0, snapshot_hash=f"families-seed-{seed}", split="train")
    for task in tasks(sft_tasks, seed=seed):
        for code in (task.secure, *[task.insecure] * insecure_per_secure):
            bundle.sft.append(
                {
                    "source": "remediation",
                    "prompt": [{"role": "user", "content": task.prompt}],
                    "completion": [{"role": "assistant", "content": fenced(code)}],
                }
            )
    for task in tasks(grpo_tasks, seed=seed + 1):
        bundle.grpo.append(held_out_row(task))
    return bundle


def held_out_row(task: Task) -> dict:
    """A task as the evaluator and GRPO read it."""
    return {
        "prompt": [{"role": "user", "content": task.prompt}],
        "expected_lines": None,
        "tests": None,
        "language": "python",
        "cwe": task.cwe,
    }
