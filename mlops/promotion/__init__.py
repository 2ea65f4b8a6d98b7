"""Promotion: the policy (promotion.yaml), gates, the desired state (registry.yaml), sync, rollback, verify.

Core only: never prints, never imports click. Gates read data at commits (`git show`) and run no code.
"""

from __future__ import annotations

from mlops.promotion.policy import Gate, Policy, Stage, load_policy, policy_at
from mlops.promotion.results import Evaluation, GateResult

__all__ = ["Evaluation", "Gate", "GateResult", "Policy", "Stage", "load_policy", "policy_at"]
