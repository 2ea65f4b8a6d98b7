"""The shared promotion repository builder (tests.helpers.promotion) makes the registry it promises."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.promotion import make_repo


def test_builder_makes_a_registry(tmp_path: Path) -> None:
    from mlops.registry import read_state

    make_repo(tmp_path / "r")
    state = read_state(tmp_path / "r")
    assert state.which("churn-model", "production").version == "v1.0.0"
    assert state.which("churn-model", "staging").version == "v2.0.0"
