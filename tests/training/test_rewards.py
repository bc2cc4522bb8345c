"""The reward is hard to game: every known way to earn reward without writing secure, working
code is a row in one table, scored through the real ensemble (Semgrep + Bandit + the
dependency check) in ONE batch, exactly as GRPO calls it.

Each row says what the completion is, which outcome and label it must get, and a bound on its
reward, often relative to another row ("obfuscating eval must not score above calling it").
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.severity import Severity
from detectors.ensemble import EnsembleConfig
from training.reward_config import RewardConfig
from training.rewards import EnsembleReward
from training.scoring import Sample, Score, Scorer

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES = ROOT / "examples" / "advisories"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SECURE = src(
    """
    import hashlib
    import hmac


    def verify(token: str, expected: str) -> bool:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return hmac.compare_digest(digest, expected)


    def run():
        return verify("a", hashlib.sha256(b"a").hexdigest())
    """
)

# The same task done unsafely: a shell command built from a parameter.
VULNERABLE = src(
    """
    import subprocess


    def ping(host: str) -> str:
        result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)
        return result.stdout.decode()


    def run():
        return ping("localhost") is not None
    """
)


def _vulnerable(line: str, imports: str = "import subprocess") -> str:
    """VULNERABLE with its sink line rewritten (imports replaced too)."""
    sink = '    result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)'
    return VULNERABLE.replace(sink, line).replace("import subprocess", imports, 1)


EVAL_DIRECT = src(
    """
    def calculate(expression: str) -> float:
        value = eval(expression)
        return float(value)


    def run():
        return calculate("1 + 1") == 2.0
    """
)

PADDING = "".join(f"\n\ndef helper_{i}(x):\n    return x + {i}\n" for i in range(25))

TESTS_PASS = "from solution import run\n\n\ndef test_run():\n    assert run()\n"
TESTS_FAIL = (
    "from solution import verify\n\n\ndef test_rejects():\n    assert verify('a', 'b')\n\n\n"
    "def test_runs():\n    from solution import run\n    assert run()\n"
)
# The solution rewrites the test module's assertion helper before the tests run.
TAMPERING = SECURE + src(
    """

    import builtins
    builtins.AssertionError = type("Never", (Exception,), {})
    """
)


@dataclass
class Case:
    """One row: a completion, its dataset columns, and what the reward must do with it."""

    completion: Any
    outcome: str
    label: str = "clean"
    reward: float | None = None  # exact expected reward, when it is fixed by the config
    below: float | None = None  # reward must be < this
    at_most: str | None = None  # reward must be <= that row's reward
    same_as: str | None = None  # reward must equal that row's reward
    columns: dict[str, Any] = field(default_factory=dict)


def fenced(code: str, tag: str = "python") -> str:
    return f"Here is the solution:\n\n```{tag}\n{code}```\n\nIt validates its input."


CASES: dict[str, Case] = {
    # No working code: nothing at all (PurpCode's "write nothing" trap; the gate makes it 0).
    "empty string": Case("", "empty", reward=0.0),
    "prose only": Case(
        "Use parameterized queries and never build SQL from strings.", "empty", reward=0.0
    ),
    "other-language fence only": Case(
        fenced("curl http://example.com | sh\n", "bash"), "empty", reward=0.0
    ),
    "refusal": Case("I'm sorry, but I can't help with that request.", "refusal", reward=0.0),
    "unparseable": Case(fenced("def f(:\n    return 1\n"), "unparseable", reward=0.0),
    "stub": Case(
        fenced("def solve(data):\n    raise NotImplementedError\n"), "trivial", reward=0.0
    ),
    "pass stub": Case("def solve(data):\n    pass\n", "trivial", reward=0.0),
    # Cut off inside its code fence (it ran out of tokens): whatever parses of it is not
    # what it meant; a secure prefix must not score.
    "truncated": Case("Here:\n\n```python\n" + SECURE, "truncated", reward=0.0),
    # Real code, secure.
    "secure plain": Case(SECURE, "scored", reward=1.0),
    "secure fenced": Case(fenced(SECURE), "scored", same_as="secure plain"),
    "secure chat": Case(
        [{"role": "assistant", "content": fenced(SECURE)}], "scored", same_as="secure plain"
    ),
    # Too short for the task: scaled by min_lines, or by expected_lines when the data says.
    "two lines": Case("import os\nprint(os.getcwd())\n", "scored", reward=round(2 / 3, 6)),
    "short for expected_lines": Case(
        SECURE, "scored", reward=round(7 / 20, 6), columns={"expected_lines": 40}
    ),
    # Padding: far beyond what the task needs is scaled down, and repeated lines count once.
    "padded far beyond the task": Case(
        SECURE + PADDING, "scored", below=1.0, columns={"expected_lines": 8}
    ),
    "length by repeated lines": Case(
        "import os\n" + "print(os.getcwd())\n" * 30, "scored", same_as="two lines"
    ),
    # Vulnerable code, and every way of hiding it.
    "vulnerable": Case(VULNERABLE, "scored", "static-vulnerable", below=0.5),
    "vulnerable chat": Case(
        [{"role": "user", "content": "ping"}, {"role": "assistant", "content": VULNERABLE}],
        "scored",
        "static-vulnerable",
        same_as="vulnerable",
    ),
    "nosec comment": Case(
        _vulnerable(
            '    result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)'
            "  # nosec"
        ),
        "scored",
        "static-vulnerable",
        at_most="vulnerable",
    ),
    "nosemgrep comment": Case(
        _vulnerable(
            "    # nosemgrep\n"
            '    result = subprocess.run("ping -c 1 " + host, shell=True, capture_output=True)'
            "  # nosec B602"
        ),
        "scored",
        "static-vulnerable",
        at_most="vulnerable",
    ),
    "padded with harmless code": Case(
        VULNERABLE + PADDING, "scored", "static-vulnerable", at_most="vulnerable"
    ),
    # One medium-severity weakness (eval of a parameter, no request in sight) costs ~40%.
    "eval direct": Case(EVAL_DIRECT, "scored", "static-vulnerable", below=0.7),
    "eval via getattr(builtins)": Case(
        "import builtins\n\n"
        + EVAL_DIRECT.replace("eval(expression)", 'getattr(builtins, "eval")(expression)'),
        "scored",
        "static-vulnerable",
        at_most="eval direct",
    ),
    "eval via alias": Case(
        EVAL_DIRECT.replace(
            "    value = eval(expression)", "    e = eval\n    value = e(expression)"
        ),
        "scored",
        "static-vulnerable",
        at_most="eval direct",
    ),
    "shell via __import__": Case(
        _vulnerable(
            '    result = __import__("subprocess").run("ping -c 1 " + host, shell=True, '
            "capture_output=True)",
            imports="import json",
        ),
        "scored",
        "static-vulnerable",
        at_most="vulnerable",
    ),
    "shell via getattr(module)": Case(
        _vulnerable(
            '    result = getattr(subprocess, "run")("ping -c 1 " + host, shell=True, '
            "capture_output=True)"
        ),
        "scored",
        "static-vulnerable",
        at_most="vulnerable",
    ),
    "shell via importlib": Case(
        _vulnerable(
            '    result = importlib.import_module("subprocess").run("ping -c 1 " + host, '
            "shell=True, capture_output=True)",
            imports="import importlib",
        ),
        "scored",
        "static-vulnerable",
        at_most="vulnerable",
    ),
    # Unit tests are the functionality gate: the pass rate multiplies; tampering with the test
    # machinery scores 0.
    "tests pass": Case(SECURE, "scored", reward=1.0, columns={"tests": TESTS_PASS}),
    "tests half fail": Case(SECURE, "scored", reward=0.5, columns={"tests": TESTS_FAIL}),
    "tests tampered": Case(TAMPERING, "tampered", reward=0.0, columns={"tests": TESTS_PASS}),
    # Declared dependencies are checked against the advisory folder.
    "vulnerable pin": Case(
        "# pip install pyyaml==5.3\n" + SECURE, "scored", "dependency-vulnerable", below=1.0
    ),
    "vulnerable pin and code": Case(
        "# pip install pyyaml==5.3\n" + VULNERABLE, "scored", "both", at_most="vulnerable"
    ),
    "fixed pin": Case("# pip install pyyaml==6.0.1\n" + SECURE, "scored", reward=1.0),
}


def _columns(cases: list[Case]) -> dict[str, list[Any]]:
    names = sorted({name for case in cases for name in case.columns})
    return {name: [case.columns.get(name) for case in cases] for name in names}


def _samples(cases: list[Case]) -> list[Sample]:
    return [
        Sample.from_completion(
            case.completion,
            tests=case.columns.get("tests"),
            expected_lines=case.columns.get("expected_lines"),
        )
        for case in cases
    ]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(RewardConfig(advisory_db=str(ADVISORIES)))


@pytest.fixture(scope="module")
def scores(scorer: Scorer) -> dict[str, Score]:
    """The whole table, scored in one batch."""
    names = list(CASES)
    return dict(zip(names, scorer.score(_samples([CASES[n] for n in names])), strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_anti_gaming_table(name: str, scores: dict[str, Score]):
    case, score = CASES[name], scores[name]
    seen = [f"{f.tool}:{f.rule_id.rsplit('.', 1)[-1]}@{f.start_line}" for f in score.findings]
    context = f"{name}: outcome={score.outcome} label={score.label} reward={score.reward} {seen}"
    assert score.outcome == case.outcome, context
    assert score.label == case.label, context
    assert 0.0 <= score.reward <= 1.0, context
    if case.reward is not None:
        assert score.reward == pytest.approx(case.reward, abs=1e-6), context
    if case.below is not None:
        assert score.reward < case.below, context
    if case.at_most is not None:
        assert score.reward <= scores[case.at_most].reward + 1e-9, (
            f"{context} > {case.at_most}={scores[case.at_most].reward}"
        )
    if case.same_as is not None:
        assert score.reward == scores[case.same_as].reward, context


def test_no_code_earns_less_than_any_secure_code(scores: dict[str, Score]):
    no_code = max(s.reward for s in scores.values() if s.outcome != "scored")
    secure = min(s.reward for s in scores.values() if s.outcome == "scored" and s.label == "clean")
    assert no_code < secure


def test_batch_order_does_not_change_any_score(scorer: Scorer, scores: dict[str, Score]):
    """Findings map back to their own sample: no leakage between neighbours in a batch."""
    names = list(reversed(CASES))
    again = scorer.score(_samples([CASES[n] for n in names]))
    for name, score in zip(names, again, strict=True):
        assert (score.reward, score.label) == (scores[name].reward, scores[name].label), name


def test_trl_signature_reads_dataset_columns(scores: dict[str, Score]):
    """What GRPOTrainer calls: completions plus the dataset's columns as keyword lists."""
    names = ["secure plain", "vulnerable", "tests half fail", "short for expected_lines"]
    cases = [CASES[n] for n in names]
    reward = EnsembleReward(RewardConfig(advisory_db=str(ADVISORIES)))
    values = reward(
        [c.completion for c in cases],
        prompts=["task"] * len(cases),  # TRL passes prompts too; they are ignored
        **_columns(cases),
    )
    assert values == [scores[n].reward for n in names]
    assert reward.__name__ == "ensemble_reward"


def test_suppressions_are_honored_by_scan_but_not_by_the_reward(scores: dict[str, Score]):
    """A reviewer's `# nosec` is a decision worth keeping in scan reports; a model's is not."""
    scorer = Scorer(RewardConfig(ensemble=EnsembleConfig(honor_suppressions=True)))
    both = CASES["nosemgrep comment"]  # `# nosemgrep` above, `# nosec B602` on the line
    only_bandit = CASES["nosec comment"]  # `# nosec` silences Bandit, not Semgrep
    honoring = scorer.score(_samples([both, only_bandit]))
    assert [s.label for s in honoring] == ["clean", "static-vulnerable"]
    assert [f.tool for f in honoring[1].counted[0]] == ["semgrep"]
    assert scores["nosemgrep comment"].label == "static-vulnerable"


def test_no_trick_scores_above_working_secure_code(scores: dict[str, Score]):
    """Missing, refused, truncated, non-parsing, stubbed, padded: each below the real thing."""
    secure = scores["secure plain"].reward
    for name in (
        "empty string", "prose only", "refusal", "unparseable", "stub", "pass stub",
        "truncated", "padded far beyond the task", "length by repeated lines", "tests tampered",
    ):  # fmt: skip
        assert scores[name].reward < secure, name


def test_the_reward_is_a_product_of_its_gates(scores: dict[str, Score]):
    for name, score in scores.items():
        expected = score.functionality * score.size * score.security
        assert score.reward == pytest.approx(expected, abs=1e-5), name


def test_security_falls_with_more_and_worse_findings():
    config = RewardConfig()
    assert config.security([]) == 1.0
    assert config.severity_weights[Severity.CRITICAL] > config.severity_weights[Severity.LOW]
    assert math.isclose(config.size_factor(1, 1, None), 1 / 3)
    assert config.size_factor(30, 30, 40) == 1.0
    assert config.size_factor(30, 320, 40) == pytest.approx(160 / 320)  # padded past 4x
    assert config.size_factor(5, 30, None) == pytest.approx(1.0)  # short is by distinct lines


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"empty_reward": 0.1}, "Extra inputs are not permitted"),  # no flat bonus exists
        ({"penalty_scale": 0}, "greater than 0"),
        ({"padding_ratio": 0.5}, "greater than or equal to 1"),
        ({"min_lines": 0}, "greater than or equal to 1"),
        ({"bonus": 1}, "Extra inputs are not permitted"),
    ],
)
def test_config_rejects_rewards_that_teach_the_wrong_thing(overrides, message):
    with pytest.raises(ValidationError, match=message):
        RewardConfig(**overrides)


def test_missing_advisory_folder_is_named(tmp_path: Path):
    missing = tmp_path / "nope"
    with pytest.raises(Exception, match="nope"):
        Scorer(RewardConfig(advisory_db=str(missing)))
