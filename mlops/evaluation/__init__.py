"""Evaluation as a versioned contract: evaluation sets, the standard evaluation stage, freshness gates."""
