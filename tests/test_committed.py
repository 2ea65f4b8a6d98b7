"""The one reader of files at a commit (Git, else the DVC cache), the dotted lookup, and the bounded loader's
data path, as the commands that use them see them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlops import dotted
from mlops.committed import CommittedFileError, CommittedFiles
from mlops.config.yamlload import MESSAGE, YamlProblem, load_data, load_text
from tests.conftest import git, write


def _cache(root: Path, data: bytes) -> str:
    md5 = hashlib.md5(data).hexdigest()
    path = root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return md5


def test_a_file_from_git_then_from_the_dvc_cache_by_the_lock_or_dvc_file(git_repo: Path) -> None:
    write(git_repo, "metrics/git.json", '{"auc": 0.8}')
    kept = b'{"auc": 0.9, "slices": [{"auc": 0.7}]}'
    md5 = _cache(git_repo, kept)
    write(
        git_repo,
        "dvc.lock",
        f"schema: '2.0'\nstages:\n  eval:\n    cmd: x\n    outs:\n"
        f"    - path: metrics/dvc.json\n      md5: {md5}\n      hash: md5\n",
    )
    sidecar = _cache(git_repo, b"a: 1\n")
    write(git_repo, "data/side.yaml.dvc", f"outs:\n- md5: {sidecar}\n  path: side.yaml\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "files")
    commit = git(git_repo, "rev-parse", "HEAD").strip()
    reader = CommittedFiles(git_repo)
    assert reader.data(commit, "metrics/git.json") == {"auc": 0.8}
    assert reader.data(commit, "metrics/dvc.json")["auc"] == 0.9
    assert reader.data(commit, "data/side.yaml") == {"a": 1}
    with pytest.raises(CommittedFileError, match=f"nope.json is not in commit {commit[:12]}") as missing:
        reader.data(commit, "nope.json")
    assert missing.value.missing and missing.value.exit_code == 2


def test_hostile_committed_files_are_one_error_type_in_bounded_time(git_repo: Path) -> None:
    write(git_repo, "deep.json", "[" * 100_000 + "]" * 100_000)
    write(
        git_repo,
        "bomb.yaml",
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
        ),
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "hostile")
    reader = CommittedFiles(git_repo)
    with pytest.raises(CommittedFileError, match="deep.json at .* is not valid JSON: nested more than 64"):
        reader.data("HEAD", "deep.json")
    with pytest.raises(
        CommittedFileError, match="bomb.yaml at .* is not valid YAML: line 7 col 8: document expands to more"
    ):
        reader.data("HEAD", "bomb.yaml")


def test_dotted_lookup_one_rule_everywhere() -> None:
    data = {"train": {"lr": 0.1, "layers": [{"size": 8}, {"size": 16}]}, "test.auc": 0.9}
    assert dotted.resolve(data, "train.lr") == 0.1
    assert dotted.resolve(data, "train.layers[1].size") == 16
    assert dotted.resolve(data, "train.layers.0.size") == 8
    assert dotted.resolve(data, "test.auc", exact_first=True) == 0.9
    assert dotted.find(data, "test.auc") == (False, None)
    with pytest.raises(dotted.NotFound) as exc:
        dotted.resolve(data, "train.layers[5]")
    assert exc.value.detail == "`train.layers` has no `5`"
    assert dotted.split("a..b") is None and dotted.split("a[x]") is None


def test_the_gate_lookup_and_interpolation_share_it() -> None:
    from mlops.pipeline.interpolate import Undefined
    from mlops.pipeline.interpolate import lookup as interpolate
    from mlops.promotion.files import lookup as metric

    data = {"slices": [{"auc": 0.5}]}
    assert interpolate(data, "slices[0].auc") == metric(data, "slices.0.auc") == 0.5
    with pytest.raises(Undefined):
        interpolate(data, "slices[1]")
    with pytest.raises(KeyError):
        metric(data, "slices.1")


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": ' + "[" * 70 + "]" * 70 + "}", "nested more than 64 levels deep"),
        ('{"n": ' + "9" * 5000 + "}", "an integer of more than 4300 digits"),
        ("a: !!python/name:os.system x\n", "is not allowed"),
        ("x" * (MESSAGE.max_bytes + 1), "larger than 1 MB"),
    ],
)
def test_data_limits(text: str, message: str) -> None:
    with pytest.raises(YamlProblem, match=message):
        load_data(text.encode(), "x", MESSAGE)


def test_values_are_json_and_keys_are_strings() -> None:
    doc = load_text("d: 2020-01-01\n10: a\nyes: b\nnull: c\ne: =\nf: !!str 1\ng: 0x1F\nh: ~\n", "x")
    assert doc.data == {
        "d": "2020-01-01",
        "10": "a",
        "yes": "b",
        "null": "c",
        "e": "=",
        "f": "1",
        "g": 31,
        "h": None,
    }
    json.dumps(doc.data)
    assert doc.where(("g",)) == (7, 4)


def test_anchors_and_merges_count_their_expanded_size() -> None:
    doc = load_text("base: &b {x: 1, y: [1, 2]}\nuse: {<<: *b, x: 2}\nlist: [*b, *b]\n", "x")
    assert doc.data["use"] == {"x": 2, "y": [1, 2]}
    assert doc.data["list"] == [{"x": 1, "y": [1, 2]}] * 2
    bomb = "a: &a [" + ",".join(["x"] * 1000) + "]\nb: [" + ",".join(["*a"] * 1000) + "]\n"
    with pytest.raises(YamlProblem, match="more than 1,000,000 values"):
        load_text(bomb, "x")


def test_hostile_lines_of_a_monitoring_history_are_skipped_with_a_reason(tmp_path: Path) -> None:
    from mlops.monitor.history import read_history
    from mlops.promotion.history import parse_history

    lines = [
        b'{"type": "ack", "alert": "a1", "resolution": "ok"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"n": ' + b"9" * 5000 + b"}",
        b"not json",
    ]
    history = parse_history(b"\n".join(lines))
    assert history.skipped == 3 and history.acknowledged() == {"a1": "ok"}
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"\n".join(lines))
    problems = read_history(path, shown="monitoring/history.jsonl").problems
    assert (
        problems[0]
        == "monitoring/history.jsonl:2: skipped a line that is not JSON (nested more than 64 levels deep)"
    )
    assert len(problems) == 3 and problems[2].startswith(
        "monitoring/history.jsonl:4: skipped a line that is not JSON"
    )


def test_a_hostile_profile_is_refused_by_the_bounded_reader(tmp_path: Path) -> None:
    import pytest

    from mlops.data.profile import load_profile
    from mlops.errors import InputError

    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InputError, match="not a JSON profile: nested more than 64 levels deep"):
        load_profile(deep)
    (tmp_path / "p.json").write_bytes(b'{"a": ' * 200 + b"1" + b"}" * 200)
    with pytest.raises(InputError, match="p.json: not a JSON profile"):
        load_profile(tmp_path / "p.json")
