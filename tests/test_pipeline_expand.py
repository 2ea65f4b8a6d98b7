"""Expansion of foreach/matrix and `${...}` substitution, including a property test of determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.config import load_project
from mlops.config.document import read_document
from mlops.pipeline import interpolate
from mlops.pipeline.build import build
from mlops.pipeline.compiler import render
from mlops.pipeline.expansion import dvc_key


def _build(root: Path, pipeline: str, params: str | None = None):  # type: ignore[no-untyped-def]
    (root / "pipelines").mkdir(parents=True, exist_ok=True)
    (root / "pipelines" / "main.yaml").write_text(pipeline)
    if params is not None:
        (root / "params.yaml").write_text(params)
    project = load_project(root)
    doc = read_document(root / "pipelines/main.yaml", shown="pipelines/main.yaml", expected_kind="Pipeline")
    return build(project, [doc])


def test_substitute_keeps_types_for_a_whole_reference_and_formats_inside_text() -> None:
    ctx = {"train": {"lr": 0.1, "on": True, "sizes": ["a", "b"]}, "models": [{"name": "x"}]}
    assert interpolate.substitute("${train.sizes}", ctx) == ["a", "b"]
    assert interpolate.substitute("--lr ${train.lr} --on ${ train.on }", ctx) == "--lr 0.1 --on true"
    assert interpolate.substitute("${models[0].name}", ctx) == "x"
    # an escaped `\${` stays escaped: the text goes to dvc.yaml, where DVC reads it as a literal `${`
    assert interpolate.substitute(r"echo \${HOME} ${train.lr}", ctx) == r"echo \${HOME} 0.1"
    with pytest.raises(interpolate.Undefined) as exc:
        interpolate.substitute("${train.nope}", ctx)
    assert "`train` has no `nope`" in exc.value.detail


def test_foreach_list_dict_and_matrix_take_dvcs_own_names(tmp_path: Path) -> None:
    pipeline, findings = _build(
        tmp_path,
        """\
kind: Pipeline
version: 1
vars:
  - {regions: {eu: {rows: 1}, us: {rows: 2}}}
stages:
  train:
    foreach: ${sizes}
    cmd: python train.py ${item}
    outs:
      - models/${item}.pkl
  region:
    foreach: ${regions}
    cmd: python region.py ${key} ${item.rows}
  grid:
    matrix:
      lr: [0.1, 0.01]
      model: [{name: a}, {name: b}]
    cmd: fit ${item.lr} ${item.model.name}
""",
        "sizes: [small, large]\n",
    )
    assert findings == []
    assert pipeline.names() == [
        "train@small",
        "train@large",
        "region@eu",
        "region@us",
        "grid@0.1-model0",
        "grid@0.1-model1",
        "grid@0.01-model0",
        "grid@0.01-model1",
    ]
    by_name = {s.name: s for s in pipeline.stages}
    assert by_name["train@large"].cmd == "python train.py large"
    assert by_name["train@large"].outs[0].path == "models/large.pkl"
    assert by_name["region@us"].cmd == "python region.py us 2"
    assert by_name["grid@0.01-model1"].cmd == "fit 0.01 b"


def test_undefined_variables_and_foreach_over_a_scalar_are_located(tmp_path: Path) -> None:
    _, findings = _build(
        tmp_path,
        """\
kind: Pipeline
version: 1
stages:
  a:
    cmd: python a.py ${nope.x}
  b:
    foreach: ${train.lr}
    cmd: echo ${item}
""",
        "train: {lr: 0.1}\n",
    )
    messages = {(f.line, f.message.split(";")[0]) for f in findings}
    assert (5, "undefined variable `${nope.x}`") in messages
    assert (7, "`foreach` must be a non-empty list or mapping, not float `0.1`") in messages


names = st.text(alphabet="abcxyz019_-. @/", min_size=1, max_size=6)
scalars = st.one_of(
    names, st.integers(-5, 500), st.floats(0, 10, allow_nan=False).map(lambda f: round(f, 3)), st.booleans()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(scalars, min_size=1, max_size=6, unique_by=lambda v: (type(v), v)),
    dims=st.lists(st.lists(scalars, min_size=1, max_size=3, unique=True), min_size=1, max_size=2),
)
def test_compile_is_deterministic_and_expanded_names_are_unique(
    tmp_path: Path, items: list, dims: list
) -> None:
    doc = {
        "kind": "Pipeline",
        "version": 1,
        "stages": {
            "train": {"foreach": items, "cmd": "echo ${item}"},
            "grid": {"matrix": {f"d{i}": d for i, d in enumerate(dims)}, "cmd": "echo grid"},
        },
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    first, findings1 = _build(tmp_path, text)
    second, findings2 = _build(tmp_path, text)
    out1, out2 = render(first).text, render(second).text
    assert out1 == out2  # same input, same bytes
    assert [f.render() for f in findings1] == [f.render() for f in findings2]
    names_ = first.names()
    assert len(set(names_)) == len(names_), names_
    # DVC's names: the item as text; items that read the same (1 and "1") are one stage, as in DVC
    keys = {dvc_key(v) for v in items}
    combos = {"-".join(dvc_key(v) for v in combo) for combo in __import__("itertools").product(*dims)}
    assert names_ == [f"train@{k}" for k in dict.fromkeys(dvc_key(v) for v in items)] + [
        f"grid@{k}"
        for k in dict.fromkeys(
            "-".join(dvc_key(v) for v in c) for c in __import__("itertools").product(*dims)
        )
    ]
    assert len(names_) == len(keys) + len(combos)
    from mlops.pipeline.checks import check_model

    assert not [f for f in check_model(load_project(tmp_path), first) if f.rule == "duplicate-stage"]
