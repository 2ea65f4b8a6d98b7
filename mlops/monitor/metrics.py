"""Live model metrics computed with numpy (no scikit-learn at run time), overall and per slice.

Classification: accuracy, precision, recall, F1 (binary: of the positive class; multiclass: macro averages)
and ROC AUC (binary, when scores are known). Regression: MAE and RMSE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CLASSIFICATION = "classification"
REGRESSION = "regression"
# Metrics where a higher value is better; every other metric (mae, rmse) is an error.
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc"}
METRICS = {CLASSIFICATION: ("accuracy", "precision", "recall", "f1", "roc_auc"), REGRESSION: ("mae", "rmse")}
_POSITIVE_WORDS = {"1", "true", "yes", "y", "positive", "pos"}


@dataclass(frozen=True)
class Prepared:
    """Labels and predictions ready for scoring: predicted classes plus, for binary tasks, scores."""

    task: str
    y_true: Any  # numpy array
    y_pred: Any
    scores: Any | None  # probability of the positive class, or None
    positive: Any | None


def infer_task(labels: Any, predictions: Any) -> str:
    """Regression when the labels are non-integer numbers or many distinct numbers; else classification."""
    import numpy as np

    y = np.asarray(labels)
    if y.dtype.kind == "f":
        finite = y[np.isfinite(y)]
        if finite.size and (np.any(finite != np.round(finite)) or np.unique(finite).size > 20):
            return REGRESSION
        return CLASSIFICATION
    if y.dtype.kind in "iu":
        return REGRESSION if np.unique(y).size > 20 else CLASSIFICATION
    return CLASSIFICATION


def prepare(
    labels: Any,
    predictions: Any,
    scores: Any | None = None,
    *,
    task: str | None = None,
    positive: Any | None = None,
    cutoff: float = 0.5,
) -> Prepared:
    """Normalise inputs to comparable class codes.

    A classification task with at most two classes whose predictions are probabilities in [0, 1] (not all 0
    or 1) uses them as scores, and predicts the positive class where the score is at least `cutoff`.
    """
    import numpy as np

    y_true = np.asarray(labels)
    y_pred: Any = np.asarray(predictions)
    task = task or infer_task(y_true, y_pred)
    if task == REGRESSION:
        return Prepared(task, _floats(y_true), _floats(y_pred), None, None)
    y_true = canonical(y_true)
    classes = _classes(y_true)
    if scores is None and probabilities(classes, y_pred):
        scores, y_pred = y_pred.astype(float), None
    return classify(y_true, classes, y_pred, scores, positive, cutoff)


def probabilities(classes: list[Any], predictions: Any) -> bool:
    """Predictions are the positive class' probability: at most two classes, numbers in [0, 1], not all 0/1."""
    return len(classes) <= 2 and _is_probability(predictions)


def classify(
    y_true: Any,
    classes: list[Any],
    y_pred: Any | None,
    scores: Any | None,
    positive: Any | None,
    cutoff: float,
) -> Prepared:
    """Class codes of the predictions (from the scores when `y_pred` is None) comparable with the labels'
    codes (`y_true`, already `canonical`; `classes` its sorted distinct values)."""
    import numpy as np

    pos = _positive(classes, positive)
    if y_pred is None:
        y_pred = _from_scores(scores, classes, pos, cutoff, y_true.dtype)
    else:
        y_true, y_pred, pos = _comparable(y_true, canonical(y_pred), pos)
    if scores is not None:
        scores = np.asarray(scores, dtype=float)
    return Prepared(CLASSIFICATION, y_true, y_pred, scores, pos)


def _from_scores(scores: Any, classes: list[Any], pos: Any, cutoff: float, dtype: Any) -> Any:
    """The positive class where the score reaches the cutoff, else the other class."""
    import numpy as np

    negative = next((c for c in classes if c != pos), _negative_like(pos))
    return np.where(scores >= cutoff, pos, negative).astype(dtype)


def _comparable(y_true: Any, y_pred: Any, pos: Any) -> tuple[Any, Any, Any]:
    """Labels and predictions of one kind: as text when their codes differ (numbers against strings)."""
    if y_pred.dtype != y_true.dtype:
        return y_true.astype(str), y_pred.astype(str), str(pos)
    return y_true, y_pred, pos


def canonical(values: Any) -> Any:
    """Class codes: booleans and integral numbers as int64, anything else as stripped strings."""
    import numpy as np

    values = np.asarray(values)
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values.astype(str)
    return np.char.strip(values.astype(str))


def compute(prep: Prepared) -> dict[str, Any]:
    """The metrics of one set of rows; `rows` is how many were scored."""
    if prep.task == REGRESSION:
        return regression_metrics(prep.y_true, prep.y_pred)
    return classification_metrics(prep.y_true, prep.y_pred, prep.scores, prep.positive)


def evaluate(prep: Prepared, slices: dict[str, Any] | None = None, *, max_slices: int = 50) -> dict[str, Any]:
    """Metrics overall and for each value of each slice column (the most frequent `max_slices` values).

    Slice keys read `column=value`; rows whose slice value is missing form `column=(null)`.
    """
    import numpy as np
    import pandas as pd

    result: dict[str, Any] = {"task": prep.task, "overall": compute(prep), "slices": {}}
    for column, raw in (slices or {}).items():
        codes, uniques = pd.factorize(pd.Series(raw), use_na_sentinel=True)
        names = ["(null)" if code < 0 else _slice_text(uniques[code]) for code in range(-1, len(uniques))]
        counts = np.bincount(codes + 1, minlength=len(names))  # code -1 (missing) counts at index 0
        order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0][:max_slices]
        for i in order:
            mask = codes == i - 1
            part = Prepared(
                prep.task,
                prep.y_true[mask],
                prep.y_pred[mask],
                None if prep.scores is None else prep.scores[mask],
                prep.positive,
            )
            result["slices"][f"{column}={names[i]}"] = compute(part)
        if len(uniques) + int(counts[0] > 0) > max_slices:
            result.setdefault("truncated", {})[column] = len(uniques) + int(counts[0] > 0)
    return result


def _slice_text(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Confusion:
    """How many rows hold each (label, prediction) pair of class codes: all the classification metrics but
    ROC AUC need. Pairs may repeat (their counts add up)."""

    y_true: Any  # numpy array, one entry per pair
    y_pred: Any
    counts: Any  # int64 numpy array


def confusion(y_true: Any, y_pred: Any) -> Confusion:
    """The distinct (label, prediction) pairs of two arrays of class codes, with their counts."""
    import numpy as np

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    true_values, true_codes = np.unique(y_true, return_inverse=True)
    pred_values, pred_codes = np.unique(y_pred, return_inverse=True)
    width = max(len(pred_values), 1)
    keys, counts = np.unique(true_codes.ravel() * width + pred_codes.ravel(), return_counts=True)
    return Confusion(true_values[keys // width], pred_values[keys % width], counts.astype(np.int64))


def classification_metrics(
    y_true: Any, y_pred: Any, scores: Any | None = None, positive: Any | None = None
) -> dict[str, Any]:
    """Metrics of class codes from `prepare` (or any two arrays of the same kind)."""
    import numpy as np

    y_true = np.asarray(y_true)
    table = confusion(y_true, y_pred)
    out = confusion_metrics(table, positive)
    scored = auc_class(table, positive) if scores is not None else None
    if scored is not None:
        out["roc_auc"] = roc_auc(y_true == scored, scores)
    return out


def confusion_metrics(table: Confusion, positive: Any | None = None) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 (binary: of the positive class; else macro averages over the
    labels' classes) from a confusion table; `roc_auc` is None (see `auc_class`)."""
    import numpy as np

    counts = np.asarray(table.counts, dtype=np.int64)
    y_true, y_pred = np.asarray(table.y_true), np.asarray(table.y_pred)
    n = int(counts.sum())
    out: dict[str, Any] = {"rows": n}
    if n == 0:
        return out | {name: None for name in METRICS[CLASSIFICATION]}
    out["accuracy"] = float(counts[y_true == y_pred].sum() / n)
    classes = _classes(y_true[counts > 0])
    both = _classes(np.concatenate([y_true[counts > 0], y_pred[counts > 0]]))
    if len(both) <= 2:
        pos = _positive(both, positive)
        precision, recall, f1 = _prf(y_true == pos, y_pred == pos, counts)
        # class counts: how many rows each estimate rests on (the alert policy's noise bound uses them)
        out["positives"] = int(counts[y_true == pos].sum())
        out["predicted_positives"] = int(counts[y_pred == pos].sum())
    else:  # macro averages over the classes seen in the labels
        parts = [_prf(y_true == c, y_pred == c, counts) for c in classes]
        precision, recall, f1 = (float(np.mean([p[i] for p in parts])) for i in range(3))
    out.update(precision=precision, recall=recall, f1=f1, roc_auc=None)
    return out


def auc_class(table: Confusion, positive: Any | None = None) -> Any | None:
    """The class whose scores ROC AUC ranks: the positive one when the labels hold exactly two classes."""
    import numpy as np

    classes = _classes(np.asarray(table.y_true)[np.asarray(table.counts) > 0])
    return _positive(classes, positive) if len(classes) == 2 else None


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, Any]:
    import numpy as np

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    keep = np.isfinite(y_true) & np.isfinite(y_pred)
    err = y_pred[keep] - y_true[keep]
    return regression_from_sums(int(err.size), float(np.sum(np.abs(err))), float(np.sum(err * err)))


def regression_from_sums(rows: int, absolute: float, squared: float) -> dict[str, Any]:
    """MAE and RMSE from the row count and the sums of |error| and error^2 (rows where both are finite)."""
    if rows == 0:
        return {"rows": 0, "mae": None, "rmse": None}
    return {"rows": rows, "mae": absolute / rows, "rmse": math.sqrt(squared / rows)}


def roc_auc(truth: Any, scores: Any) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties counted half); None without both classes."""
    import numpy as np

    truth = np.asarray(truth, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    keep = np.isfinite(scores)
    truth, scores = truth[keep], scores[keep]
    values, inverse = np.unique(scores, return_inverse=True)
    positives = np.bincount(inverse.ravel(), weights=truth, minlength=values.size)
    negatives = np.bincount(inverse.ravel(), minlength=values.size) - positives
    below = np.cumsum(negatives) - negatives  # negatives scored lower than each distinct score
    u = float(np.sum(positives * (below + negatives / 2.0)))
    return auc_from_u(u, int(truth.sum()), int(truth.size - truth.sum()))


def auc_from_u(u: float, positives: int, negatives: int) -> float | None:
    """ROC AUC from the Mann-Whitney U of the positives' scores: sum over the distinct scores, ascending, of
    positives_at_score x (negatives below it + negatives_at_score / 2)."""
    if positives == 0 or negatives == 0:
        return None
    return u / (positives * negatives)


def _prf(truth: Any, predicted: Any, counts: Any) -> tuple[float, float, float]:
    tp = float(counts[truth & predicted].sum())
    fp = float(counts[~truth & predicted].sum())
    fn = float(counts[truth & ~predicted].sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _classes(values: Any) -> list[Any]:
    import numpy as np

    return sorted(np.unique(values).tolist())


def _positive(classes: list[Any], positive: Any | None) -> Any:
    if positive is not None:
        for c in classes:
            if str(c) == str(positive):
                return c
        return positive
    for c in classes:
        if str(c).strip().lower() in _POSITIVE_WORDS:
            return c
    return classes[-1] if classes else 1


def _negative_like(positive: Any) -> Any:
    return 0 if isinstance(positive, int) else f"not {positive}"


def _floats(values: Any) -> Any:
    import numpy as np

    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        from mlops.errors import InputError

        raise InputError("regression labels and predictions must be numbers") from None


def _is_probability(values: Any) -> bool:
    import numpy as np

    if values.dtype.kind != "f" or not values.size:
        return False
    finite = values[np.isfinite(values)]
    return (
        bool(finite.size)
        and finite.min() >= 0
        and finite.max() <= 1
        and bool(np.any((finite != 0) & (finite != 1)))
    )


def require_comparable(labels: Any, predictions: Any, label_column: str, prediction_column: str) -> None:
    """Numbers against text (0/1 labels, a `plan` column as --predictions) can never match: that is a wrong
    column, not a model with accuracy 0. InputError naming both columns and what they hold."""
    kinds = {label_column: _value_kind(labels), prediction_column: _value_kind(predictions)}
    if {kinds[label_column], kinds[prediction_column]} != {"numbers", "text"}:
        return
    from mlops.errors import InputError

    shown = {c: _examples(v) for c, v in ((label_column, labels), (prediction_column, predictions))}
    raise InputError(
        f"--predictions column `{prediction_column}` holds {kinds[prediction_column]} "
        f"({shown[prediction_column]}) but --labels column `{label_column}` holds "
        f"{kinds[label_column]} ({shown[label_column]}): no prediction can equal a label",
        hint="pass the column with the model's predicted classes or probabilities as --predictions",
    )


def _value_kind(values: Any) -> str:
    """numbers (booleans too) | text (strings that are not numbers) | other (empty, mixed)."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return "numbers"
    series = pd.Series(array[:10_000]).dropna()
    if series.empty:
        return "other"
    text = series.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce").notna() | text.str.lower().isin(["true", "false"])
    if numeric.all():
        return "numbers"
    return "text" if not numeric.any() else "other"


def _examples(values: Any, limit: int = 3) -> str:
    import pandas as pd

    seen = pd.Series(values[:10_000]).dropna().astype(str).unique()[:limit]
    return ", ".join(f"'{v}'" for v in seen) or "no values"
