"""Profiles and drift: statistics against a profile match those against raw data; references at Git/DVC revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlops.data.drift import DriftResult, drift_scores
from mlops.data.profile import Profile, build_profile, load_profile
from mlops.data.source import DataSource
from tests.conftest import git, invoke, tool

DVC = tool("dvc")
if not Path(DVC).exists():
    DVC = shutil.which("dvc") or "dvc"


run = invoke  # exit code, stdout, stderr (tests.conftest)


def _frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n, m = 60_000, 45_000
    ref = pd.DataFrame(
        {
            "normal": rng.normal(0, 1, n),
            "lognormal": rng.lognormal(0, 1, n),
            "count": rng.poisson(3, n),
            "uniform": rng.uniform(-5, 5, n),
        }
    )
    cur = pd.DataFrame(
        {
            "normal": rng.normal(0.05, 1.1, m),
            "lognormal": rng.lognormal(0.1, 0.9, m),
            "count": rng.poisson(3.3, m),
            "uniform": rng.uniform(-5, 6, m),
        }
    )
    return ref, cur


def _raw_psi(cur: np.ndarray, ref: np.ndarray) -> float:
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    p = np.histogram(cur, bins)[0] / len(cur)
    q = np.histogram(ref, bins)[0] / len(ref)
    p, q = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    return float(np.sum((p - q) * np.log(p / q)))


def test_ks_psi_wasserstein_against_profiles_match_raw_data(tmp_path: Path) -> None:
    ref, cur = _frames()
    ref.to_parquet(tmp_path / "ref.parquet", row_group_size=7_000)
    # the reference goes through the chunked path (several merges); the current is profiled in one go
    ref_profile = build_profile(tmp_path / "ref.parquet", chunk_rows=7_000)
    ref_profile = Profile.from_dict(json.loads(ref_profile.to_json()))  # through its JSON form
    cur_profile = build_profile(cur)
    ks = drift_scores(cur_profile, ref_profile, method="ks")
    psi = drift_scores(cur_profile, ref_profile, method="psi")
    wd = drift_scores(cur_profile, ref_profile, method="wasserstein")
    for col in ref.columns:
        assert ks[col].statistic == pytest.approx(stats.ks_2samp(cur[col], ref[col]).statistic, abs=1e-3), col
        assert psi[col].statistic == pytest.approx(
            _raw_psi(cur[col].to_numpy(), ref[col].to_numpy()), abs=2e-3
        )
        expected = stats.wasserstein_distance(cur[col], ref[col]) / ref[col].std()
        assert wd[col].statistic == pytest.approx(expected, rel=0.02, abs=2e-3), col


def test_profile_is_deterministic_and_small(tmp_path: Path) -> None:
    ref, _ = _frames()
    ref["plan"] = np.where(ref["count"] > 3, "pro", "basic")
    ref.to_csv(tmp_path / "d.csv", index=False)
    for out in ("a.json", "b.json"):
        code, _, err = run("profile", str(tmp_path / "d.csv"), "-o", str(tmp_path / out))
        assert code == 0, err
    first, second = (tmp_path / "a.json").read_bytes(), (tmp_path / "b.json").read_bytes()
    assert first == second
    data = json.loads(first)
    assert data["kind"] == "mlops.profile" and data["rows"] == 60_000
    for name, col in data["columns"].items():
        assert len(json.dumps(col)) < 8_000, name
    assert data["columns"]["plan"]["values"] == ["basic", "pro"]
    assert data["columns"]["count"]["values"][:3] == [0, 1, 2]  # few values: exact counts
    assert load_profile(tmp_path / "a.json").columns["normal"].kind == "numeric"


def test_p_values_categorical_methods_and_result_shape() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"c": rng.choice(list("abc"), 5000, p=[0.5, 0.3, 0.2]), "x": rng.normal(0, 1, 5000)})
    same = pd.DataFrame({"c": rng.choice(list("abc"), 4000, p=[0.5, 0.3, 0.2]), "x": rng.normal(0, 1, 4000)})
    moved = pd.DataFrame(
        {"c": rng.choice(list("abcd"), 4000, p=[0.3, 0.3, 0.2, 0.2]), "x": rng.normal(1, 1, 4000)}
    )
    pr, ps, pm = build_profile(ref), build_profile(same), build_profile(moved)
    calm = drift_scores(ps, pr, p_value=True)
    assert calm["c"].method == "chi2" and calm["x"].method == "ks"
    assert calm["c"].p_value > 0.01 and calm["x"].p_value > 0.01 and not calm["x"].drifted
    loud = drift_scores(pm, pr, p_value=True)
    assert loud["c"].p_value < 1e-6 and loud["c"].drifted and loud["x"].drifted
    expected = stats.chi2_contingency(
        pd.crosstab(np.concatenate([np.zeros(4000), np.ones(5000)]), np.concatenate([moved["c"], ref["c"]]))
    )
    assert loud["c"].p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)
    assert loud["c"].new_category_rate == pytest.approx((moved["c"] == "d").mean())
    for method in ("psi", "jensen_shannon", "hellinger", "tvd"):
        res = drift_scores(pm, pr, columns=["c"], method=method)["c"]
        assert res.method == method and res.drifted and res.p_value is None
    res = drift_scores(pm, pr, columns=["x"], per_column={"x": {"method": "hellinger", "threshold": 0.9}})[
        "x"
    ]
    assert isinstance(res, DriftResult) and res.method == "hellinger" and not res.drifted
    assert set(res.to_dict()) >= {"column", "method", "statistic", "p_value", "threshold", "drifted", "kind"}


RULES = """\
kind: Rules
version: 1
columns:
  x: {type: number}
drift:
  reference: {reference}
  columns: [x, c]
  method: psi
  max_null_rate_change: 0.05
  severity: error
"""


def _data(shift: float, n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "c": rng.choice(["a", "b"], n)})


def test_drift_against_a_git_revision_and_a_local_profile(git_repo: Path) -> None:
    _data(0).to_csv(git_repo / "train.csv", index=False)
    git(git_repo, "add", "train.csv")
    git(git_repo, "commit", "-qm", "train")
    (git_repo / "train.csv").write_text("x,c\n1,a\n")  # the work tree moves on; the reference stays at HEAD
    (git_repo / "rules.yaml").write_text(RULES.replace("{reference}", "HEAD:train.csv"))
    _data(0, seed=1).to_csv(git_repo / "same.csv", index=False)
    _data(1.5, seed=2).to_csv(git_repo / "moved.csv", index=False)
    code, out, err = run("validate", "same.csv", "--rules", "rules.yaml", "--report", "same.json")
    assert code == 0, out + err
    report = json.loads((git_repo / "same.json").read_text())
    assert report["drift"]["reference"] == "HEAD:train.csv" and report["drift"]["drifted"] == []
    code, out, _ = run("validate", "moved.csv", "--rules", "rules.yaml", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["drift"]["drifted"] == ["x"]
    assert {r["rule"]: r["status"] for r in report["results"]}["drift.x"] == "failed"
    # a profile, from a local path, gives the same verdict
    code, _, _ = run("profile", "same.csv", "-o", "profile.json")
    code, out, _ = run(
        "validate", "moved.csv", "--rules", "rules.yaml", "--reference", "profile.json", "--format", "json"
    )
    assert code == 1 and json.loads(out)["drift"]["drifted"] == ["x"]
    code, _, err = run("validate", "moved.csv", "--rules", "rules.yaml", "--reference", "nosuch:train.csv")
    assert code == 2 and "unknown revision `nosuch`" in err
    code, _, err = run("validate", "moved.csv", "--rules", "rules.yaml", "--reference", "HEAD:missing.csv")
    assert code == 2 and "missing.csv is neither in Git nor tracked by DVC" in err


@pytest.mark.slow
def test_drift_against_a_dvc_tracked_reference_at_a_revision(git_repo: Path) -> None:
    subprocess.run([DVC, "init", "-q"], cwd=git_repo, check=True)
    _data(0).to_parquet(git_repo / "train.parquet")
    subprocess.run([DVC, "add", "-q", "train.parquet"], cwd=git_repo, check=True)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "tracked by dvc")
    git(git_repo, "tag", "v1")
    _data(3).to_parquet(git_repo / "train.parquet")  # the work tree's copy drifts; v1's does not
    subprocess.run([DVC, "add", "-q", "train.parquet"], cwd=git_repo, check=True)
    (git_repo / "rules.yaml").write_text(RULES.replace("{reference}", "v1:train.parquet"))
    _data(0, seed=5).to_csv(git_repo / "batch.csv", index=False)
    code, out, err = run("validate", "batch.csv", "--rules", "rules.yaml", "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["drift"]["drifted"] == []
    from mlops.data.source import read_bytes_at

    assert read_bytes_at("v1:train.parquet", git_repo)[:4] == b"PAR1"


def test_profile_and_drift_bad_input(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"kind": "something"}')
    with pytest.raises(Exception, match="not an mlops profile"):
        load_profile(tmp_path / "p.json")
    code, _, err = run("profile", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.json"))
    assert code == 2 and "no such file" in err
    (tmp_path / "d.csv").write_text("a\n1\n")
    code, _, err = run("profile", str(tmp_path / "d.csv"), "--columns", "b")
    assert code == 2 and "no column `b`" in err


def test_empty_and_all_null_columns_do_not_crash() -> None:
    ref = build_profile(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [None, None, None]}))
    cur = build_profile(pd.DataFrame({"x": [np.nan, np.nan], "y": [None, None]}))
    assert build_profile(pd.DataFrame({"x": pd.Series([], dtype=float)})).columns["x"].count == 0
    out: dict[str, Any] = drift_scores(cur, ref)
    assert set(out) == {"x", "y"}
    assert DataSource  # imported for its side-free API


def test_p_values_match_scipy_without_needing_it() -> None:
    from scipy.stats import chi2, kstwobign

    from mlops.data.pvalues import chi2_sf, kolmogorov_sf

    for x in np.linspace(0.05, 6, 120):
        assert kolmogorov_sf(x) == pytest.approx(kstwobign.sf(x), rel=1e-9, abs=1e-15)
    for dof in (1, 2, 7, 60):
        for stat in np.linspace(0.1, 300, 60):
            assert chi2_sf(stat, dof) == pytest.approx(chi2.sf(stat, dof), rel=1e-9, abs=1e-300)


def test_reference_by_registry_stage_and_version(git_repo: Path) -> None:
    _data(0).to_csv(git_repo / "train.csv", index=False)
    git(git_repo, "add", "train.csv")
    git(git_repo, "commit", "-qm", "train")
    git(git_repo, "tag", "-a", "churn-model@v1.0.0", "-m", "registered")
    git(git_repo, "tag", "-a", "churn-model#production#1", "-m", "assigned")
    (git_repo / "train.csv").write_text("x,c\n9,z\n")  # the work tree moves on
    (git_repo / "rules.yaml").write_text(RULES.replace("{reference}", "churn-model#production:train.csv"))
    _data(2, seed=3).to_csv(git_repo / "moved.csv", index=False)
    code, out, _ = run("validate", "moved.csv", "--rules", "rules.yaml", "--format", "json")
    assert code == 1 and json.loads(out)["drift"]["drifted"] == ["x"]
    code, out, _ = run(
        "validate",
        "moved.csv",
        "--rules",
        "rules.yaml",
        "--reference",
        "churn-model@v1.0.0:train.csv",
        "--format",
        "json",
    )
    assert code == 1 and json.loads(out)["drift"]["reference"] == "churn-model@v1.0.0:train.csv"
    code, _, err = run(
        "validate", "moved.csv", "--rules", "rules.yaml", "--reference", "churn-model#staging:train.csv"
    )
    assert code == 2 and "never assigned to stage staging" in err


def test_discrete_and_empty_columns() -> None:
    ref = build_profile(pd.DataFrame({"k": [3.0] * 100, "x": np.arange(100.0)}))
    cur = build_profile(pd.DataFrame({"k": [3.0] * 50 + [4.0] * 50, "x": [np.nan] * 100}))
    scores = drift_scores(cur, ref, method="psi")
    assert scores["k"].drifted and scores["k"].statistic > 1  # a new value above a constant reference
    assert scores["x"].drifted and np.isnan(scores["x"].statistic) and scores["x"].null_rate_change == 1.0
    assert drift_scores(ref, ref)["k"].statistic == 0.0


def test_calibration_pvalues_match_scipy() -> None:
    from mlops.data.pvalues import binomial_sf, count_test, ks_pvalue

    for k, n, p in [
        (5, 100, 0.01),
        (280, 20_280, 0.0196),
        (15, 15, 0.002),
        (3, 10, 0.5),
        (0, 10, 0.3),
        (11, 10, 0.3),
    ]:
        assert binomial_sf(k, n, p) == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-300)
    # the conditional test is never less conservative than Fisher's exact test
    for table in [(15, 100, 0, 5_000), (40, 200, 800, 5_000), (3, 50, 10, 1_000)]:
        k, n, r, m = table
        fisher = stats.fisher_exact([[k, n - k], [r, m - r]], alternative="greater").pvalue
        assert count_test(k, n, r, m, alternative="greater") >= fisher * (1 - 1e-9)
        assert count_test(k, n, r, m) <= 1.0
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, size=2_000)
    exact = stats.ks_2samp(a, b, method="asymp")
    assert ks_pvalue(exact.statistic, 300, 2_000) == pytest.approx(exact.pvalue, rel=0.1)


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_a_csv_column_empty_in_its_first_chunk_is_profiled_by_its_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """Found by tests/test_engine_fuzz_differential.py: a first chunk of empty fields reads as floats, and
    the text after them crashed the profile (exit 3); a column of numbers then text is refused (exit 2)."""
    pytest.importorskip(engine)
    (tmp_path / "late.csv").write_text("s,x\n,1\na,2\nb,3\n")
    chunked = build_profile(tmp_path / "late.csv", chunk_rows=1).columns["s"]
    whole = build_profile(tmp_path / "late.csv").columns["s"]
    assert (chunked.dtype, chunked.count, chunked.nulls) == (whole.dtype, whole.count, whole.nulls)
    assert chunked.dtype == "string" and chunked.values == whole.values == ["a", "b"]
    # through the CLI: validate's drift profile reads the CSV in the chunks --chunk-rows says
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ref.json").write_text(build_profile(tmp_path / "late.csv").to_json())
    rules = "kind: Rules\nversion: 1\ndrift: {reference: ref.json, columns: [s, x]}\n"
    (tmp_path / "rules.yaml").write_text(rules)
    code, out, err = run(
        "validate", "late.csv", "--rules", "rules.yaml", "--chunk-rows", "1", "--engine", engine
    )
    assert code == 0, out + err
    (tmp_path / "mixed.csv").write_text("s,x\n1,1\na,2\n")
    code, _, err = run(
        "validate", "mixed.csv", "--rules", "rules.yaml", "--chunk-rows", "1", "--engine", engine
    )
    assert code == 2
    assert "column `s` holds string values after integer values in earlier rows" in err
