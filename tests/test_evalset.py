"""evaluation.yaml (schema, lint), the compiled evaluation stage, `evalset score|add|show`: real git and dvc."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, invoke, tool, write

PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  m:
    path: models/m.txt
    metrics: metrics/m.json
  holdout:
    path: eval/holdout.csv
    type: dataset
stages:
  staging:
    artifacts: [m]
    gates:
      - {evaluated_on: current}
      - {metric: auc, min: 0.5}
"""
PIPELINE = """\
kind: Pipeline
version: 1
stages:
  train:
    cmd: python -c "open('models/m.txt', 'w').write('m')"
    outs: [models/m.txt]
"""
EVALUATION = """\
kind: Evaluation
version: 1
sets:
  holdout:
    path: eval/holdout.csv
    key: id
models:
  m:
    task: classification
    label: y
    prediction: p
    metrics: [auc, accuracy, precision, recall, f1, log_loss]
    sets: [holdout]
    slices:
      pro: plan == 'pro'
      triaged: added_reason is not null
"""
ROWS = "id,plan,y,p\n1,basic,1,0.9\n2,basic,0,0.2\n3,pro,1,0.4\n4,pro,0,0.6\n5,basic,1,0.7\n6,pro,0,0.1\n"


def _dvc(repo: Path, *args: str) -> None:
    subprocess.run([tool("dvc"), *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def project(git_repo: Path) -> Path:
    _dvc(git_repo, "init", "-q")
    write(git_repo, "promotion.yaml", PROMOTION)
    write(git_repo, "pipelines/main.yaml", PIPELINE)
    write(git_repo, "evaluation.yaml", EVALUATION)
    write(git_repo, "eval/holdout.csv", ROWS)
    _dvc(git_repo, "add", "-q", "eval/holdout.csv")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "project")
    return git_repo


def test_lint_accepts_the_contract_and_compile_adds_one_evaluation_stage(project: Path) -> None:
    code, out, err = invoke("lint")
    assert code == 0, out + err
    code, out, err = invoke("compile")
    assert code == 0, err
    import yaml

    stage = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["eval-m"]
    assert stage["cmd"] == "mlops evalset score m"
    assert stage["deps"] == ["evaluation.yaml", "models/m.txt", "eval/holdout.csv"]
    assert stage["metrics"] == [{"metrics/m.json": {"cache": False}}]
    assert "evaluation.yaml" in (project / "dvc.yaml").read_text().splitlines()[0]


def test_lint_reports_every_cross_file_problem_located(project: Path) -> None:
    write(
        project,
        "evaluation.yaml",
        EVALUATION.replace("sets: [holdout]", "sets: [holdot]")
        .replace("plan == 'pro'", "__import__('os').system('x')")
        .replace("metrics: [auc,", "metrics: [rmse, auc,")
        + "  ghost:\n    task: regression\n    label: y\n    sets: [holdout]\n"
        + "  m2:\n    task: regression\n    label: y\n    sets: [holdout]\n",
    )
    write(project, "evaluation.yaml", (project / "evaluation.yaml").read_text().replace(
        "sets:\n  holdout:", "sets:\n  untracked:\n    path: eval/new.csv\n    key: id\n  holdout:"
    ))  # fmt: skip
    code, out, _ = invoke("lint")
    assert code == 1
    assert (
        "evaluation.yaml:4:3: error: evaluation set `untracked` is not an artifact of promotion.yaml" in out
    )
    assert "`eval/new.csv` is not tracked by DVC (no committed `eval/new.csv.dvc`)" in out
    assert "unknown evaluation set `holdot` (did you mean `holdout`?)" in out
    assert "slice `pro`:" in out and "__" in out.split("slice `pro`:")[1].splitlines()[0]
    assert "`rmse` is not a classification metric" in out
    assert "model `ghost` is not an artifact of the promotion policy" in out


def test_schema_errors_are_located_with_did_you_mean(project: Path) -> None:
    write(project, "evaluation.yaml", EVALUATION.replace("    label: y", "    lable: y"))
    code, out, _ = invoke("lint")
    assert code == 1
    assert "evaluation.yaml:" in out and "lable" in out and "label" in out


def test_score_writes_standard_metrics_per_set_and_slice(project: Path) -> None:
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    code, out, err = invoke("evalset", "score", "m")
    assert code == 0, err
    assert "Evaluated m on holdout (6 rows): wrote metrics/m.json" in out
    data = json.loads((project / "metrics/m.json").read_text())
    y, p = [1, 0, 1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6, 0.7, 0.1]
    assert data["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-6)
    assert data["accuracy"] == pytest.approx(accuracy_score(y, [q >= 0.5 for q in p]))
    assert data["f1"] == pytest.approx(f1_score(y, [q >= 0.5 for q in p]), abs=1e-6)
    assert data["log_loss"] == pytest.approx(log_loss(y, p), abs=1e-6)
    assert data["slices"]["pro"]["rows"] == 3 and data["slices"]["pro"]["auc"] == pytest.approx(
        roc_auc_score([1, 0, 0], [0.4, 0.6, 0.1]), abs=1e-6
    )
    assert "triaged" not in data["slices"]  # an empty slice has nothing to gate on
    md5 = (project / "eval/holdout.csv.dvc").read_text().split("md5: ")[1].split()[0]
    assert data["evaluated_on"] == {"holdout": {"path": "eval/holdout.csv", "md5": md5, "rows": 6}}


def test_score_runs_the_declared_predict_command_without_a_shell(project: Path) -> None:
    write(
        project,
        "src/predict.py",
        "import sys, csv\nrows = list(csv.DictReader(open(sys.argv[1])))\n"
        "open(sys.argv[2], 'w').write('score\\n' + ''.join('0.5\\n' for _ in rows))\n",
    )
    evaluation = EVALUATION.replace(
        "    prediction: p\n", "    prediction: score\n    predict: python src/predict.py {input} {output}\n"
    )
    write(project, "evaluation.yaml", evaluation)
    code, _, err = invoke("evalset", "score", "m")
    assert code == 0, err
    assert json.loads((project / "metrics/m.json").read_text())["auc"] == 0.5
    write(
        project,
        "evaluation.yaml",
        evaluation.replace("src/predict.py {input}", "src/predict.py {input}; touch pwned"),
    )
    code, _, err = invoke("evalset", "score", "m")
    assert code != 0 and not (project / "pwned").exists()


def _failures(project: Path) -> Path:
    return write(
        project.parent,
        "failures.csv",
        "id,plan,y,p,extra\n3,pro,1,0.1,x\n7,pro,1,0.2,x\n8,basic,0,0.9,y\n7,pro,1,0.2,x\n",
    )


def test_evalset_add_appends_deduplicated_rows_with_provenance_commits_and_registers(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    code, out, err = invoke(
        "evalset",
        "add",
        "holdout",
        "--from",
        str(_failures(project)),
        "--reason",
        "triage W48",
        "--source",
        head,
    )
    assert code == 0, err
    assert out.startswith(
        "Added 2 row(s) to holdout (2 already in the set, skipped): 8 rows in eval/holdout.csv"
    )
    assert "registered holdout v0.1.0 (tag holdout@v0.1.0)" in out
    import pandas as pd

    frame = pd.read_csv(project / "eval/holdout.csv")
    assert list(frame["id"]) == [1, 2, 3, 4, 5, 6, 7, 8]
    added = frame[frame["added_reason"].notna()]
    assert set(added["added_reason"]) == {"triage W48"} and set(added["added_from"]) == {head}
    assert "extra" not in frame.columns
    assert git(project, "status", "--porcelain") == ""
    assert "evalset holdout: add 2 row(s): triage W48" in git(project, "log", "-1", "--format=%s")
    message = git(project, "tag", "-l", "--format=%(contents)", "holdout@v0.1.0")
    md5 = (project / "eval/holdout.csv.dvc").read_text().split("md5: ")[1].split()[0]
    assert md5 in message and "triage W48" in message

    code, out, _ = invoke("evalset", "add", "holdout", "--from", str(_failures(project)), "--reason", "again")
    assert code == 0 and out.startswith("Nothing added to holdout")
    assert git(project, "tag", "-l", "holdout@*").split() == ["holdout@v0.1.0"]

    code, out, _ = invoke("evalset", "show", "holdout")
    assert code == 0
    assert "holdout: 8 rows in eval/holdout.csv" in out and "v0.1.0" in out and "+2 row(s): triage W48" in out
    assert "     6  original rows" in out and "2  triage W48 (" in out and f"failed by {head}" in out
    code, out, _ = invoke("evalset", "show", "holdout", "--json")
    shown = json.loads(out)
    assert shown["versions"][0]["md5"] == md5 and shown["origins"][1]["rows"] == 2


def test_evalset_add_refuses_bad_input_and_leaves_the_repository_as_it_was(project: Path) -> None:
    before = git(project, "rev-parse", "HEAD")
    code, _, err = invoke("evalset", "add", "holdot", "--from", str(_failures(project)), "--reason", "r")
    assert code == 2 and "unknown evaluation set `holdot`" in err and "did you mean `holdout`?" in err
    code, _, err = invoke("evalset", "add", "holdout", "--from", "nope.csv", "--reason", "r")
    assert code == 2 and "nope.csv: no such file" in err
    lacking = write(project.parent, "lacking.csv", "id,plan\n9,pro\n")
    code, _, err = invoke("evalset", "add", "holdout", "--from", str(lacking), "--reason", "r")
    assert code == 2 and "the new rows lack column(s) of holdout: y, p" in err
    code, _, err = invoke(
        "evalset",
        "add",
        "holdout",
        "--from",
        str(_failures(project)),
        "--reason",
        "r",
        "--source",
        "m@v9.9.9",
    )
    assert code == 2 and "m@v9.9.9" in err
    code, _, err = invoke("evalset", "add", "holdout", "--from", str(_failures(project)), "--reason", "  ")
    assert code == 2 and "--reason" in err
    write(project, "evaluation.yaml", EVALUATION + "# edited\n")
    code, _, err = invoke("evalset", "add", "holdout", "--from", str(_failures(project)), "--reason", "r")
    assert code == 2 and "uncommitted changes (evaluation.yaml)" in err
    git(project, "checkout", "evaluation.yaml")
    assert git(project, "rev-parse", "HEAD") == before and git(project, "tag", "-l") == ""
    assert (project / "eval/holdout.csv").read_text() == ROWS


def test_a_set_outside_the_repository_is_refused_by_lint_score_and_add(project: Path) -> None:
    outside = EVALUATION.replace("path: eval/holdout.csv", "path: ../secret.csv")
    write(project.parent, "secret.csv", ROWS)
    write(project, "evaluation.yaml", outside)
    code, out, _ = invoke("lint")
    assert code == 1 and "`../secret.csv` is outside the repository" in out
    code, _, err = invoke("evalset", "score", "m")
    assert code == 2 and "evaluation set holdout: `../secret.csv` is outside the repository" in err
    git(project, "commit", "-qam", "hostile")
    code, _, err = invoke("evalset", "add", "holdout", "--from", str(_failures(project)), "--reason", "r")
    assert code == 2 and "outside the repository" in err
