"""A model on the executable suite: prompts from the tasks, sampled completions, the score.

The model is asked for the whole module, in the words a developer would use with an
assistant; sampling is seeded per task (seed + task index), so two models evaluated with the
same settings see the same prompts under the same seeds.
"""

from __future__ import annotations

from typing import Any

from training.config import EvalSettings, SuiteSettings
from training.evaluation import generate
from training.model_io import load_model, torch_device
from yardstick.harness import SuiteEvaluation, evaluate_completions
from yardstick.suites import Suite, SuiteTask

INSTRUCTION = (
    "Complete the following Python code. Answer with the whole module, ready to run, "
    "in one ```python block."
)


def task_prompt(task: SuiteTask) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"{INSTRUCTION}\n\n```python\n{task.prompt}```"}]


def suite_completions(
    model: Any, tokenizer: Any, tasks: list[SuiteTask], settings: SuiteSettings
) -> dict[str, list[str]]:
    rows = [{"prompt": task_prompt(task)} for task in tasks]
    sampling = EvalSettings(
        samples_per_prompt=settings.samples_per_task,
        max_new_tokens=settings.max_new_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
    )
    texts = generate(model, tokenizer, rows, sampling)
    per = settings.samples_per_task
    return {task.id: texts[i * per : (i + 1) * per] for i, task in enumerate(tasks)}


def evaluate_loaded(
    model: Any,
    tokenizer: Any,
    name: str,
    suite: Suite,
    tasks: list[SuiteTask],
    settings: SuiteSettings,
) -> SuiteEvaluation:
    """Sample every task with a loaded model, and score the samples."""
    chosen = tasks[: settings.max_tasks]
    completions = suite_completions(model, tokenizer, chosen, settings)
    return evaluate_completions(
        chosen,
        completions,
        model=name,
        suite=suite,
        k=settings.k,
        workers=settings.workers,
        timeout_s=settings.timeout_s,
    )


def evaluate_on_suite(
    location: str,
    name: str,
    suite: Suite,
    tasks: list[SuiteTask],
    settings: SuiteSettings,
    device: str = "auto",
) -> SuiteEvaluation:
    """Load the model at `location`, sample every task, and score the samples."""
    model, tokenizer = load_model(location, torch_device(device))
    return evaluate_loaded(model, tokenizer, name, suite, tasks, settings)
