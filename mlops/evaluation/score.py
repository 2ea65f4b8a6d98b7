"""The standard evaluation stage: score a model on each of its sets, measure overall and per slice, write the
metrics file the gates read.

Layout of that file (the artifact's `metrics:`): the first set's metrics at the top level; `slices` holds the
first set's slices by name, then every other set as `SET` and its slices as `SET/SLICE`, so `slices: all` in a
gate covers them all (a slice without rows is left out); `evaluated_on` records each set's path, md5 and rows, so every number says what data it
comes from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.errors import CheckFailed, InputError
from mlops.evaluation.spec import PROVENANCE, EvalSet, Evaluation, ModelEvaluation, inside


@dataclass
class SetResult:
    name: str
    md5: str
    rows: int
    overall: dict[str, Any]
    slices: dict[str, dict[str, Any]]


def file_md5(path: Path) -> str:
    """The md5 DVC 3 records for a file (its bytes)."""
    digest = hashlib.md5()  # noqa: S324 - DVC's content address, not security
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: Path, shown: str) -> Any:
    from mlops.data.source import DataSource, read_frame

    return read_frame(DataSource.from_path(path))


def predictions(root: Path, model: ModelEvaluation, evalset: EvalSet, frame: Any) -> Any:
    """The prediction column: from the user's predict command (run without a shell), or from the set."""
    import numpy as np

    if model.predict is None:
        if model.prediction not in frame.columns:
            raise InputError(
                f"{evalset.path}: no column `{model.prediction}` and no `predict` command to make it"
            )
        return frame[model.prediction].to_numpy(dtype=float)
    with tempfile.TemporaryDirectory(prefix="mlops-eval-") as tmp:
        out = Path(tmp) / "predictions.csv"
        words = [
            w.replace("{input}", evalset.path).replace("{output}", str(out))
            for w in shlex.split(model.predict)
        ]
        done = subprocess.run(words, cwd=root, check=False)  # noqa: S603 - the user's declared command, in a DVC stage
        if done.returncode != 0:
            raise CheckFailed(
                f"predict command for {evalset.name} exited with {done.returncode}: {model.predict}"
            )
        if not out.is_file():
            raise InputError(f"predict command for {evalset.name} wrote no {{output}} file")
        scored = read_table(out, "predictions")
    if model.prediction not in scored.columns or len(scored) != len(frame):
        raise InputError(
            f"predictions for {evalset.name} need a `{model.prediction}` column and {len(frame)} rows "
            f"(got columns {list(scored.columns)[:5]} and {len(scored)} rows)"
        )
    return np.asarray(scored[model.prediction], dtype=float)


def score_set(root: Path, model: ModelEvaluation, evalset: EvalSet) -> SetResult:
    from mlops.data.evaluate import EvalError, Evaluator
    from mlops.data.expr import ExprError, parse
    from mlops.evaluation.metrics import compute

    path = inside(root, evalset)
    frame = read_table(path, evalset.path)
    if model.label not in frame.columns:
        raise InputError(f"{evalset.path}: no label column `{model.label}`")
    y = frame[model.label].to_numpy(dtype=float)
    pred = predictions(root, model, evalset, frame)
    for column in PROVENANCE:  # rows never added by `evalset add` have no provenance: null, not an error
        if column not in frame.columns:
            frame[column] = None
    slices = {}
    evaluator = Evaluator(frame)
    for name, text in model.slices.items():
        try:
            mask, _null = evaluator.mask(parse(text))
        except (EvalError, ExprError) as exc:
            raise InputError(f"slice `{name}` on {evalset.path}: {exc.message}") from None
        slices[name] = compute(model.metrics, y[mask], pred[mask], model.threshold)
    return SetResult(
        evalset.name, file_md5(path), len(frame), compute(model.metrics, y, pred, model.threshold), slices
    )


def layout(results: list[SetResult], paths: dict[str, str]) -> dict[str, Any]:
    first = results[0]
    out: dict[str, Any] = dict(first.overall)
    slices: dict[str, Any] = dict(first.slices)
    for result in results[1:]:
        slices[result.name] = result.overall
        for name, values in result.slices.items():
            slices[f"{result.name}/{name}"] = values
    # an empty slice has no metrics to gate on: left out, as if not declared (its rows come with the failures)
    out["slices"] = {name: values for name, values in slices.items() if values.get("rows")}
    out["evaluated_on"] = {r.name: {"path": paths[r.name], "md5": r.md5, "rows": r.rows} for r in results}
    return out


def run_evaluation(root: Path, evaluation: Evaluation, artifact: str, metrics_path: str) -> dict[str, Any]:
    """Score ARTIFACT on every set, write METRICS_PATH atomically; returns what was written."""
    from mlops import atomic

    model = evaluation.models.get(artifact)
    if model is None:
        raise InputError(f"{evaluation.path}: no evaluation for `{artifact}`")
    sets = [evaluation.set(name) for name in model.sets]
    results = [score_set(root, model, s) for s in sets]
    data = layout(results, {s.name: s.path for s in sets})
    target = root / metrics_path
    os.makedirs(target.parent, exist_ok=True)
    atomic.write_text(target, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data
