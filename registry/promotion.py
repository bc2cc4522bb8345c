"""The promotion rule: a challenger becomes champion only when it writes less vulnerable code
and loses no more utility than the configured tolerance. Pure: the registry records it."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from training.evaluation import EvalReport


class PromotionDecision(BaseModel):
    promote: bool
    against: str  # "champion v3", or "base model" when there is no champion yet
    reason: str
    candidate_vulnerability_rate: float
    incumbent_vulnerability_rate: float
    candidate_utility: float
    incumbent_utility: float
    utility_tolerance: float
    prompts_hash: str

    def tags(self) -> dict[str, str]:
        """The decision as model-version tags (what the MLflow UI shows)."""
        return {f"{_TAG}{k}": str(v) for k, v in self.model_dump().items()}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> PromotionDecision | None:
        """The decision a version's tags record, or None when none was recorded."""
        values = {k[len(_TAG) :]: v for k, v in tags.items() if k.startswith(_TAG)}
        return cls.model_validate(values) if values else None


_TAG = "promotion."


def decide(
    candidate: EvalReport, incumbent: EvalReport, against: str, utility_tolerance: float
) -> PromotionDecision:
    if candidate.prompts_hash != incumbent.prompts_hash:
        raise ValueError(
            f"candidate and {against} were evaluated on different prompts or settings: "
            "they cannot be compared"
        )
    safer = candidate.vulnerability_rate < incumbent.vulnerability_rate
    utility_floor = incumbent.utility - utility_tolerance
    useful = candidate.utility >= utility_floor
    c, i = candidate, incumbent
    vuln = f"vulnerability rate {c.vulnerability_rate:.3f} vs {i.vulnerability_rate:.3f}"
    util = f"utility {c.utility:.3f} vs {i.utility:.3f} (tolerance {utility_tolerance})"
    if safer and useful:
        reason = f"promoted over {against}: {vuln}; {util}"
    elif not safer:
        reason = f"kept {against}: not less vulnerable ({vuln})"
    else:
        reason = f"kept {against}: utility fell beyond tolerance ({util})"
    return PromotionDecision(
        promote=safer and useful,
        against=against,
        reason=reason,
        candidate_vulnerability_rate=candidate.vulnerability_rate,
        incumbent_vulnerability_rate=incumbent.vulnerability_rate,
        candidate_utility=candidate.utility,
        incumbent_utility=incumbent.utility,
        utility_tolerance=utility_tolerance,
        prompts_hash=candidate.prompts_hash,
    )
