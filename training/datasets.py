"""Training datasets from a frozen corpus snapshot: pure functions of its items.

- SFT, remediation: the task the vulnerable code served (its function's signature and
  docstring) or "fix this finding" with the snippet -> the reviewer's fixed code.
- SFT, rule learning: per CWE, guidelines distilled from what reviewers confirmed and what
  they dismissed (with their notes), rendered into examples that state the rule and show the
  safe version.
- DPO pairs: (prompt, chosen = fixed code, rejected = vulnerable code).
- GRPO prompts: tasks whose historical code produced confirmed findings, with what the reward
  needs (CWE, language, expected size, unit tests when known).

Only decided items are used; `split` picks train or eval. Items are taken in finding-id order
and nothing is random, so the same snapshot always gives byte-identical files; every file
records the snapshot's id and hash (`DatasetBundle.write`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.cwe import cwe_name
from core.verdict import Verdict
from store.snapshots import DECIDED, Item
from training.completions import fenced

_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\((.*?)\)\s*(?:->\s*[^:]+)?:", re.M)
_DOCSTRING = re.compile(r'^\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\')', re.S)


def _messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def _answer(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


class RecoveredTask(BaseModel):
    """What a piece of code was for, recovered from the code around a finding."""

    model_config = ConfigDict(frozen=True)

    function: str | None
    signature: str | None
    docstring: str | None


def task_of(item: Item) -> RecoveredTask:
    """The enclosing function's name, signature and docstring, when the context shows them."""
    record = item.record
    enclosing = record.enclosing or ""
    wanted = enclosing.split()[-1] if enclosing.startswith(("def ", "async def ")) else None
    for match in _DEF.finditer(item.code):
        if wanted is None or match.group(1) == wanted:
            rest = item.code[match.end() :]
            doc = _DOCSTRING.match(rest.lstrip("\n"))
            docstring = " ".join(doc.group(1).split()) if doc else None
            return RecoveredTask(
                function=match.group(1),
                signature=f"{match.group(1)}({match.group(2).strip()})",
                docstring=docstring,
            )
    return RecoveredTask(function=wanted, signature=None, docstring=None)


def _language(item: Item) -> str:
    return (item.record.language or "python").lower()


def task_prompt(item: Item) -> str | None:
    """'Write the function ...' when the task is known, else None."""
    task = task_of(item)
    if not task.signature:
        return None
    where = item.record.path or "the project"
    lines = [f"Write the {_language(item).title()} function `{task.signature}` in {where}."]
    if task.docstring:
        lines.append(task.docstring)
    return "\n".join(lines)


def fix_prompt(item: Item) -> str:
    record = item.record
    cwes = ", ".join(cwe_name(c) for c in record.cwe_ids) or "a weakness"
    rule = record.rule_name or record.rule_id
    return (
        f"Fix this finding ({rule}; {cwes}): {record.message or ''}\n"
        f"```{_language(item)}\n{item.code.rstrip()}\n```"
    )


def _cwe(item: Item) -> int | None:
    cwes = item.record.cwe_ids
    return int(cwes[0]) if cwes else None


def _non_blank(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


class Guideline(BaseModel):
    """A CWE's rule as reviewers' decisions show it."""

    model_config = ConfigDict(frozen=True)

    cwe: int
    confirmed: list[tuple[str, int]]  # (what was really vulnerable, findings)
    dismissed: list[tuple[str, int, str]]  # (what looked risky, findings, reviewers' reason)
    safe_example: str | None

    def render(self) -> str:
        lines = [f"Rule for {cwe_name(self.cwe)}:"]
        for message, count in self.confirmed:
            lines.append(f"- Vulnerable ({count} confirmed): {message}")
        for message, count, reason in self.dismissed:
            why = f" Why: {reason}" if reason else ""
            lines.append(f"- Looked risky but was safe ({count} dismissed): {message}.{why}")
        if self.safe_example:
            lines.append("Safe version:")
            lines.append(fenced(self.safe_example))
        return "\n".join(lines)


def guidelines(items: list[Item], per_kind: int = 3) -> list[Guideline]:
    """One guideline per CWE that has a confirmed finding, most frequent patterns first."""
    confirmed: dict[int, Counter[str]] = defaultdict(Counter)
    dismissed: dict[int, Counter[str]] = defaultdict(Counter)
    reasons: dict[tuple[int, str], str] = {}
    safe: dict[int, str] = {}
    for item in items:
        cwe = _cwe(item)
        if cwe is None:
            continue
        pattern = item.record.rule_name or item.record.rule_id or "finding"
        message = f"{pattern}: {item.record.message or ''}".strip()
        if item.verdict == Verdict.TRUE_POSITIVE:
            confirmed[cwe][message] += 1
            if item.record.fixed_code and cwe not in safe:
                safe[cwe] = item.record.fixed_code
        elif item.verdict == Verdict.FALSE_POSITIVE:
            dismissed[cwe][message] += 1
            note = next((lb.note for lb in item.record.labels if lb.note), "")
            reasons.setdefault((cwe, message), " ".join(note.split()))

    def top(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:per_kind]

    return [
        Guideline(
            cwe=cwe,
            confirmed=top(confirmed[cwe]),
            dismissed=[(m, n, reasons.get((cwe, m), "")) for m, n in top(dismissed[cwe])],
            safe_example=safe.get(cwe),
        )
        for cwe in sorted(confirmed)
    ]


class DatasetError(ValueError):
    """A written dataset cannot be read back as written; the message names the file."""


class DatasetBundle(BaseModel):
    """The four datasets of one snapshot and split, in TRL's conversational formats."""

    snapshot_id: int
    snapshot_hash: str
    split: str
    sft: list[dict[str, Any]] = Field(default_factory=list)
    dpo: list[dict[str, Any]] = Field(default_factory=list)
    grpo: list[dict[str, Any]] = Field(default_factory=list)

    def statistics(self) -> dict[str, Any]:
        sources = Counter(row["source"] for row in self.sft)
        return {
            "snapshot_id": self.snapshot_id,
            "snapshot_hash": self.snapshot_hash,
            "split": self.split,
            "sft_examples": len(self.sft),
            "sft_remediation": sources.get("remediation", 0),
            "sft_rule_learning": sources.get("rule", 0),
            "dpo_pairs": len(self.dpo),
            "grpo_prompts": len(self.grpo),
            "cwes": sorted({row["cwe"] for row in self.grpo if row["cwe"] is not None}),
        }

    def write(self, folder: Path) -> dict[str, Any]:
        """JSONL per dataset plus manifest.json (snapshot id and hash, counts, sha256 per
        file). Returns the manifest."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for name in ("sft", "dpo", "grpo"):
            text = "".join(
                json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n"
                for row in getattr(self, name)
            )
            path = folder / f"{name}.jsonl"
            path.write_text(text, encoding="utf-8")
            files[path.name] = hashlib.sha256(text.encode()).hexdigest()
        manifest = {**self.statistics(), "files": files}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return manifest

    @classmethod
    def read(cls, folder: Path) -> DatasetBundle:
        """A bundle `write` wrote, each file checked against the manifest's sha256."""
        manifest_path = folder / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            bundle = cls(
                snapshot_id=manifest["snapshot_id"],
                snapshot_hash=manifest["snapshot_hash"],
                split=manifest["split"],
            )
            files = manifest["files"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DatasetError(
                f"{manifest_path}: not a readable dataset manifest: {error}"
            ) from None
        for name in ("sft", "dpo", "grpo"):
            path = folder / f"{name}.jsonl"
            try:
                data = path.read_bytes()
            except OSError as error:
                raise DatasetError(f"{path}: {error.strerror or error}") from None
            if hashlib.sha256(data).hexdigest() != files.get(path.name):
                raise DatasetError(f"{path}: sha256 differs from {manifest_path}")
            rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
            setattr(bundle, name, rows)
        return bundle


def build_datasets(
    items: list[Item], snapshot_id: int, snapshot_hash: str, split: str = "train"
) -> DatasetBundle:
    """The datasets of one split of a snapshot (items as `load_items` returns them)."""
    bundle = DatasetBundle(snapshot_id=snapshot_id, snapshot_hash=snapshot_hash, split=split)
    chosen = sorted(
        (i for i in items if i.status == DECIDED and i.split == split and i.code.strip()),
        key=lambda i: i.finding_id,
    )
    for item in chosen:
        if item.verdict != Verdict.TRUE_POSITIVE:
            continue
        prompt = task_prompt(item)
        fixed = item.record.fixed_code
        common = {"finding_id": item.finding_id, "cwe": _cwe(item), "language": _language(item)}
        if fixed and fixed.strip():
            for text in filter(None, (prompt, fix_prompt(item))):
                bundle.sft.append(
                    {
                        **common,
                        "source": "remediation",
                        "prompt": _messages(text),
                        "completion": _answer(fenced(fixed)),
                    }
                )
                bundle.dpo.append(
                    {
                        **common,
                        "prompt": _messages(text),
                        "chosen": _answer(fenced(fixed)),
                        "rejected": _answer(fenced(item.code)),
                    }
                )
        expected = _non_blank(fixed or item.code)
        bundle.grpo.append(
            {
                **common,
                "prompt": _messages(prompt or fix_prompt(item)),
                "expected_lines": max(1, expected),
                "tests": None,  # findings come with no unit tests; GRPO rows may carry them
            }
        )
    for guideline in guidelines(chosen):
        name = cwe_name(guideline.cwe)
        rule = guideline.render()
        # The general rule, then the rule applied: each confirmed finding of the CWE with a fix.
        for item in chosen:
            fixed = item.record.fixed_code
            if item.verdict == Verdict.TRUE_POSITIVE and _cwe(item) == guideline.cwe and fixed:
                bundle.sft.append(
                    {
                        "finding_id": item.finding_id,
                        "cwe": guideline.cwe,
                        "language": _language(item),
                        "source": "rule",
                        "prompt": _messages(
                            "Which rule does this code break? State it, then write the safe "
                            f"version.\n```{_language(item)}\n{item.code.rstrip()}\n```"
                        ),
                        "completion": _answer(
                            f"It breaks the rule for {name}: {guideline.confirmed[0][0]}\n"
                            + fenced(fixed)
                        ),
                    }
                )
        bundle.sft.append(
            {
                "finding_id": None,
                "cwe": guideline.cwe,
                "language": "python",
                "source": "rule",
                "prompt": _messages(
                    f"What rule avoids {name} in this codebase, and how is it written safely?"
                ),
                "completion": _answer(rule),
            }
        )
    return bundle


def dataset_rows(bundle: DatasetBundle, name: str) -> list[dict[str, Any]]:
    """Rows for TRL, without the bookkeeping columns TRL must not see."""
    keep = {
        "sft": ("prompt", "completion"),
        "dpo": ("prompt", "chosen", "rejected"),
        "grpo": ("prompt", "expected_lines", "tests", "language", "cwe"),
    }[name]
    return [{k: row[k] for k in keep} for row in getattr(bundle, name)]
