"""`mlops monitor` reads the promotion policy where mlops.yaml says it is, as lint, gate and sync do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from mlops.cli import cli
from tests.conftest import git, write

POLICY = """kind: Promotion
version: 1
artifacts:
  churn-model:
    path: models/model.pkl
    type: model
    training_data: data/train.csv
stages:
  production: {}
"""


def _frame(seed: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"age": rng.normal(40, 10, rows).round(1), "spend": rng.gamma(2.0, 30.0, rows).round(2)}
    )


def test_monitor_follows_the_promotion_file_named_in_mlops_yaml(git_repo: Path) -> None:
    from mlops.registry.write import assign, register

    (git_repo / "data").mkdir()
    _frame(0).to_csv(git_repo / "data" / "train.csv", index=False)
    write(git_repo, "policy/promotion.yaml", POLICY)
    write(git_repo, "mlops.yaml", "kind: Project\nversion: 1\npromotion: policy/promotion.yaml\n")
    write(git_repo, ".gitignore", "live/\nmonitoring/\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "train")
    register(git_repo, "churn-model", version="v1.0.0")
    assign(git_repo, "churn-model", "v1.0.0", "production")
    (git_repo / "live").mkdir()
    _frame(1).to_csv(git_repo / "live" / "batch.csv", index=False)

    result = CliRunner().invoke(
        cli, ["monitor", "live/batch.csv", "--against", "churn-model#production", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"training_data"' in result.output or "data/train.csv" in result.output

    # with no mlops.yaml the default promotion.yaml is looked for, and its absence is named
    (git_repo / "mlops.yaml").unlink()
    result = CliRunner().invoke(cli, ["monitor", "live/batch.csv", "--against", "churn-model#production"])
    assert result.exit_code == 2 and "promotion.yaml" in result.output
