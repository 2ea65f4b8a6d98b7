"""mlops with its data only in object storage: a DVC remote on an S3-compatible server (moto, on 127.0.0.1).

The origin registers churn@v1.0.0 and pushes its data to the bucket; every test then works in a fresh clone
whose DVC cache is empty, so each byte it reads comes over HTTP from the server: checkout, reproduce,
`REF:PATH` references for validate and monitor, registering the next version, and the errors a user sees when
the remote is down or denies access (the remote named, never "no data").
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import invoke
from tests.s3_server import S3Server, credentials, start_server
from tests.test_reproduce_support import commit_all, dvc, sh, write

pytestmark = pytest.mark.slow

BUCKET = "mlops-store"
PROMOTION = """\
kind: Promotion
version: 1
artifacts:
  churn:
    path: model.txt
    type: model
    training_data: data/train.csv
stages:
  production: {}
"""
DVC_YAML = """\
stages:
  train:
    cmd: python -c "import shutil; shutil.copy('data/train.csv', 'model.txt')"
    deps: [data/train.csv]
    outs: [model.txt]
"""
RULES = """\
kind: Rules
version: 1
format: csv
columns:
  age: {type: integer, min: 0}
  plan: {type: category}
drift:
  reference: main:data/train.csv
  columns: [age, plan]
  method: psi
  threshold: 0.2
"""


def rows(n: int, shift: int = 0) -> str:
    plans = ["basic", "pro", "enterprise"]
    return "age,plan\n" + "".join(f"{20 + (i * 7 + shift) % 50},{plans[i % 3]}\n" for i in range(n))


@pytest.fixture(scope="module")
def s3(_isolated_home: None) -> Iterator[S3Server]:
    saved = {k: os.environ.get(k) for k in credentials()}
    os.environ.update(credentials())
    with start_server() as server:
        server.make_bucket(BUCKET)
        yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def origin(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare origin whose churn@v1.0.0 data lives only in the bucket (the origin's cache is removed)."""
    from mlops.api.registry import register

    base = tmp_path_factory.mktemp("s3")
    repo = base / "work"
    repo.mkdir()
    sh(repo, "git", "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    dvc(repo, "remote", "add", "-d", "store", f"s3://{BUCKET}/dvc")
    dvc(repo, "remote", "modify", "store", "endpointurl", s3.endpoint)
    write(repo, "promotion.yaml", PROMOTION)
    write(repo, "dvc.yaml", DVC_YAML)
    write(repo, "rules/live.yaml", RULES)
    write(repo, "data/train.csv", rows(300))
    dvc(repo, "add", "-q", "data/train.csv")
    dvc(repo, "repro", "-q")
    commit_all(repo, "v1")
    register("churn", version="v1.0.0", root=repo)
    dvc(repo, "push", "-q")
    sh(base, "git", "clone", "-q", "--bare", str(repo), str(base / "bare.git"))
    sh(repo, "git", "push", "-q", "--tags", str(base / "bare.git"))
    return base / "bare.git"


@pytest.fixture
def clone(origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone with an empty DVC cache: the bucket is the only place the data is."""
    repo = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(origin), str(repo))
    assert not (repo / ".dvc" / "cache").exists()
    monkeypatch.chdir(repo)
    return repo


def point_remote_at(repo: Path, endpoint: str) -> None:
    dvc(repo, "remote", "modify", "--local", "store", "endpointurl", endpoint)


def test_checkout_downloads_the_version_from_the_bucket(clone: Path) -> None:
    code, out, err = invoke("checkout", "churn@v1.0.0")
    assert code == 0, err
    assert (clone / "model.txt").read_text() == rows(300)
    assert "DVC remote `store`" in out and f"s3://{BUCKET}/dvc" in out
    assert "Fetching" not in out + err  # the progress line is for a terminal, not for a pipe or a log


def test_reproduce_rebuilds_from_inputs_in_the_bucket(clone: Path) -> None:
    code, out, err = invoke("reproduce", "churn@v1.0.0")
    assert code == 0, out + err
    assert "identical" in out.lower() or "match" in out.lower()


def test_validate_reference_reads_ref_path_from_the_bucket(clone: Path) -> None:
    write(clone, "live.csv", rows(200, shift=3))
    code, out, err = invoke(
        "validate",
        "live.csv",
        "--rules",
        "rules/live.yaml",
        "--reference",
        "churn@v1.0.0:data/train.csv",
        "--json",
    )
    assert code == 0, out + err
    assert '"drift"' in out and '"reference"' in out


def test_monitor_against_a_version_reads_its_training_data_from_the_bucket(clone: Path) -> None:
    write(clone, "live.csv", rows(200, shift=3))
    code, out, err = invoke("monitor", "live.csv", "--against", "churn@v1.0.0", "--json")
    assert code == 0, out + err
    assert '"rows": 300' in out  # the reference: the 300 training rows, downloaded


def test_register_the_next_version_from_a_clone_and_check_it_out_elsewhere(
    clone: Path, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke("checkout", "churn@v1.0.0")  # pulls v1's data into this clone's cache
    assert code == 0, err
    sh(clone, "git", "checkout", "-q", "main")
    write(clone, "data/train.csv", rows(400))
    dvc(clone, "add", "-q", "data/train.csv")
    dvc(clone, "repro", "-q")
    commit_all(clone, "v1.1: more data")
    code, out, err = invoke("register", "churn", "--version", "v1.1.0")
    assert code == 0, out + err
    dvc(clone, "push", "-q")
    sh(clone, "git", "push", "-q", "origin", "main", "--tags")
    other = tmp_path / "other"
    sh(tmp_path, "git", "clone", "-q", str(origin), str(other))
    monkeypatch.chdir(other)
    code, out, err = invoke("checkout", "churn@v1.1.0")
    assert code == 0, err
    assert (other / "model.txt").read_text() == rows(400)


@pytest.mark.parametrize("command", ["checkout", "validate", "monitor"])
def test_a_remote_that_is_down_is_named(clone: Path, command: str) -> None:
    from tests.s3_server import free_port

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    point_remote_at(clone, down)
    write(clone, "live.csv", rows(50))
    code, out, err = invoke(*_args(command))
    assert code == 2, out + err
    assert "`store`" in err and f"s3://{BUCKET}/dvc" in err, err
    assert "internal error" not in err and "no data" not in err.lower()


@pytest.mark.parametrize("command", ["checkout", "validate", "monitor"])
def test_a_remote_that_denies_access_is_named(clone: Path, command: str) -> None:
    write(clone, "live.csv", rows(50))
    with start_server(auth=True) as strict:
        point_remote_at(clone, strict.endpoint)
        code, out, err = invoke(*_args(command))
    assert code == 2, out + err
    assert "`store`" in err and "denied" in err.lower(), err
    assert "internal error" not in err


def _args(command: str) -> list[str]:
    if command == "checkout":
        return ["checkout", "churn@v1.0.0"]
    if command == "validate":
        return [
            "validate",
            "live.csv",
            "--rules",
            "rules/live.yaml",
            "--reference",
            "churn@v1.0.0:data/train.csv",
        ]
    return ["monitor", "live.csv", "--against", "churn@v1.0.0"]


def test_downloads_show_progress_on_a_terminal(clone: Path) -> None:
    import pty
    import sys

    output = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 4096)
        output.extend(data)
        return data

    status = pty.spawn([sys.executable, "-m", "mlops", "checkout", "churn@v1.0.0"], read)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert re.search(rf"Fetching 2 files, [\d,]+ bytes from DVC remote `store` \(s3://{BUCKET}/dvc", text), (
        text
    )


def test_a_bucket_without_the_objects_says_push_not_unreachable(clone: Path) -> None:
    dvc(clone, "remote", "modify", "--local", "store", "url", f"s3://{BUCKET}/elsewhere")
    write(clone, "live.csv", rows(50))
    code, out, err = invoke(*_args("validate"))
    assert code == 2, out + err
    assert "does not have it" in err and "dvc push -r store" in err, err
    assert "unreachable" not in err and "denied" not in err


def test_get_fetches_a_version_from_the_bucket_in_a_clone_and_from_outside(
    clone: Path, origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = invoke("get", "churn@v1.0.0", "-o", "served.txt")
    assert code == 0, out + err
    assert (clone / "served.txt").read_text() == rows(300)
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)  # no repository here: `--repo` names the bare origin, as `dvc get` does
    code, out, err = invoke("get", "churn@v1.0.0", "--repo", str(origin), "-o", "m.txt")
    assert code == 0, out + err
    assert (outside / "m.txt").read_text() == rows(300)
