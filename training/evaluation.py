"""Evaluate a model on held-out prompts: generate, scan, count, from two sides.

- the reward's view, `vulnerability_rate`: share of samples with a weakness the reward's
  ensemble counts, overall and per CWE of the prompt;
- the independent view, `independent_vulnerability_rate`: share of the samples that hold
  code which the evaluation's own engines flag (`detectors.judges`: engines the reward never
  saw, `detectors.engines`); a refusal is not vulnerable, and does not make a model look
  safer here either;
- utility: share of samples that are non-empty code that parses, is not a stub, and passes
  the prompt's unit tests when it has them (parse rate, non-empty rate and test pass rate are
  reported apart);
- refusal rate.

Sampling is seeded per prompt (seed + prompt index), so two models evaluated with the same
settings see the same prompts under the same seeds; the report carries a hash of both.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from detectors.engines import EVALUATION_DEFAULT, Engine
from detectors.judges import IndependentJudges
from training.config import EvalSettings
from training.scoring import Sample, Score, Scorer


class CWERate(BaseModel):
    samples: int
    vulnerability_rate: float


class EvalReport(BaseModel):
    model: str
    prompts: int
    samples: int
    prompts_hash: str
    vulnerability_rate: float
    utility: float
    parse_rate: float
    non_empty_rate: float
    refusal_rate: float
    tests_pass_rate: float | None
    mean_reward: float
    per_cwe: dict[str, CWERate]
    # The independent view (absent from reports written before it existed).
    independent_vulnerability_rate: float | None = None
    independent_per_cwe: dict[str, CWERate] = {}
    judges: list[str] = []
    # Per sample, in prompt order (samples_per_prompt per prompt): what each side said. The
    # promotion's paired bootstrap resamples prompts over these.
    reward_flags: list[bool] = []
    independent_flags: list[bool | None] = []  # None: the sample held no code

    def metrics(self, prefix: str = "") -> dict[str, float]:
        names = ("vulnerability_rate", "utility", "parse_rate", "non_empty_rate", "refusal_rate")
        values = {f"{prefix}{name}": getattr(self, name) for name in names}
        values[f"{prefix}mean_reward"] = self.mean_reward
        if self.independent_vulnerability_rate is not None:
            values[f"{prefix}independent_vulnerability_rate"] = self.independent_vulnerability_rate
        if self.tests_pass_rate is not None:
            values[f"{prefix}tests_pass_rate"] = self.tests_pass_rate
        return values


def prompts_hash(prompts: list[dict[str, Any]], settings: EvalSettings) -> str:
    payload = {
        "prompts": [row["prompt"] for row in prompts],
        "settings": settings.model_dump(mode="json", exclude={"reward"}),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def generate(model, tokenizer, prompts: list[dict[str, Any]], settings: EvalSettings) -> list[str]:
    """`samples_per_prompt` completions per prompt, prompt by prompt, seeded per prompt."""
    # deferred: torch takes seconds to import
    import torch

    texts: list[str] = []
    device = next(model.parameters()).device
    for index, row in enumerate(prompts):
        rendered = tokenizer.apply_chat_template(
            row["prompt"], tokenize=False, add_generation_prompt=True
        )
        encoded = tokenizer(rendered, return_tensors="pt", add_special_tokens=False).to(device)
        torch.manual_seed(settings.seed + index)
        with torch.no_grad():
            output = model.generate(
                **encoded,
                do_sample=True,
                temperature=settings.temperature,
                max_new_tokens=settings.max_new_tokens,
                num_return_sequences=settings.samples_per_prompt,
                pad_token_id=tokenizer.pad_token_id,
            )
        start = encoded["input_ids"].shape[1]
        texts.extend(tokenizer.decode(seq[start:], skip_special_tokens=True) for seq in output)
    return texts


def samples_of(
    texts: list[str], prompts: list[dict[str, Any]], settings: EvalSettings
) -> list[Sample]:
    per_prompt = settings.samples_per_prompt
    samples = []
    for index, text in enumerate(texts):
        row = prompts[index // per_prompt]
        samples.append(
            Sample.from_completion(
                text,
                language=row.get("language") or "python",
                tests=row.get("tests"),
                expected_lines=row.get("expected_lines"),
            )
        )
    return samples


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def report_from_scores(
    model: str,
    prompts: list[dict[str, Any]],
    settings: EvalSettings,
    scores: list[Score],
    independent: list | None = None,
    judges: list[Engine] | tuple[Engine, ...] = (),
) -> EvalReport:
    """Both views of the samples: the reward's `scores`, and the judges' `independent`
    verdicts (one per sample, None for a sample without code)."""
    total = len(scores)
    per_prompt = settings.samples_per_prompt
    by_cwe: dict[str, list[bool]] = defaultdict(list)
    useful = parsed = non_empty = refusals = 0
    tested = passed = 0
    for index, score in enumerate(scores):
        row = prompts[index // per_prompt]
        vulnerable = score.label != "clean"
        by_cwe[f"CWE-{row['cwe']}" if row.get("cwe") else "unknown"].append(vulnerable)
        refusals += score.outcome == "refusal"
        non_empty += score.outcome not in ("refusal", "empty")
        parsed += score.parses is True
        tests_ok = True
        if score.tests is not None:
            tested += 1
            tests_ok = score.tests.pass_rate == 1.0
            passed += tests_ok
        useful += score.outcome == "scored" and tests_ok
    return EvalReport(
        model=model,
        prompts=len(prompts),
        samples=total,
        prompts_hash=prompts_hash(prompts, settings),
        vulnerability_rate=_rate(sum(s.label != "clean" for s in scores), total),
        utility=_rate(useful, total),
        parse_rate=_rate(parsed, total),
        non_empty_rate=_rate(non_empty, total),
        refusal_rate=_rate(refusals, total),
        tests_pass_rate=_rate(passed, tested) if tested else None,
        mean_reward=round(sum(s.reward for s in scores) / total, 4) if total else 0.0,
        per_cwe={
            cwe: CWERate(samples=len(flags), vulnerability_rate=_rate(sum(flags), len(flags)))
            for cwe, flags in sorted(by_cwe.items())
        },
        reward_flags=[s.label != "clean" for s in scores],
        **(_independent_view(prompts, settings, independent, judges) if independent else {}),
    )


def _independent_view(prompts, settings: EvalSettings, verdicts: list, judges) -> dict[str, Any]:
    per_prompt = settings.samples_per_prompt
    flags = [None if verdict is None else verdict.flagged for verdict in verdicts]
    by_cwe: dict[str, list[bool]] = defaultdict(list)
    for index, flag in enumerate(flags):
        if flag is not None:
            row = prompts[index // per_prompt]
            by_cwe[f"CWE-{row['cwe']}" if row.get("cwe") else "unknown"].append(flag)
    with_code = [flag for flag in flags if flag is not None]
    return {
        "independent_vulnerability_rate": _rate(sum(with_code), len(with_code)),
        "independent_per_cwe": {
            cwe: CWERate(samples=len(group), vulnerability_rate=_rate(sum(group), len(group)))
            for cwe, group in sorted(by_cwe.items())
        },
        "judges": [str(engine) for engine in judges],
        "independent_flags": flags,
    }


def evaluate_model(
    model,
    tokenizer,
    name: str,
    prompts: list[dict[str, Any]],
    settings: EvalSettings,
    scorer: Scorer | None = None,
    judges: IndependentJudges | None = None,
) -> EvalReport:
    """Generate on `prompts` (GRPO-style rows: prompt messages, cwe, tests ...) and judge
    the samples from both sides: the reward's scorer and the independent judges."""
    prompts = prompts[: settings.max_prompts]
    scorer = scorer or Scorer(settings.reward)
    judges = judges or IndependentJudges(EVALUATION_DEFAULT)
    texts = generate(model, tokenizer, prompts, settings)
    samples = samples_of(texts, prompts, settings)
    verdicts = judges.judge([sample.code if sample.code else None for sample in samples])
    return report_from_scores(
        name, prompts, settings, scorer.score(samples), verdicts, judges.engines
    )
