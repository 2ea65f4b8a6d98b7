"""Real dvc.yaml files from public DVC projects (tests/corpus/dvc, sources in SOURCES.md): each is imported
with `mlops import-dvc`, compiled back, and compared stage by stage with what DVC itself resolves from the
original: names, commands, working folders, deps, outs (with cache/metric/plot/persist), params, frozen,
always_changed, desc, and the top-level metrics, plots and params.

DVC loads every original and every adopted copy once, all in one process (tests/dvcview.py).
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops.errors import MlopsError

CORPUS = Path(__file__).parent / "corpus" / "dvc"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
VIEW = Path(__file__).parent / "dvcview.py"


# DVC loads these, and mlops refuses them, each for a reason a user is told (docs/guides/adopting-dvc.md)
REFUSED = {
    # DVC 3 ignores `checkpoint: true`; mlops refuses it at import rather than drop it silently
    "dvcyaml-schema-73ab9202-valid_outs": "`checkpoint: true` on `bar3` is not supported: DVC 3.0 removed",
    # params keys that are not in params.yaml: DVC fails only when the stage runs; mlops says so at compile
    "VSCode-DVC-Workshop-5082f129-ExperimentsDVC": "params key `features` is not in `ExperimentsDVC/params.yaml`",
    "VSCode-DVC-Workshop-5d019b39-ExperimentsDVC": "params key `train.n_estimators` is not in",
    "VSCode-DVC-Workshop-c31ba355-ExperimentsDVC": "params key `train.n_estimators` is not in",
    "VSCode-DVC-Workshop-ca34e1d0-ExperimentsDVC": "params key `features` is not in",
    # three stages write params2.yaml: DVC refuses that when it builds the graph (`dvc repro`, `dvc status`)
    "dvcyaml-schema-b23e2f2f-valid_params": "`params2.yaml` is also written by stage `use-params_stage`",
}


def _dvc_views(roots: list[Path]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(VIEW), *map(str, roots)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    views: dict[str, Any] = json.loads(proc.stdout)
    return views


def _as_dvc_project(root: Path) -> None:
    (root / ".dvc").mkdir(exist_ok=True)
    (root / ".dvc" / "config").write_text("[core]\n    no_scm = true\n")


def _dvc_yamls(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("dvc.yaml") if ".dvc" not in p.parts)


def _touch_inputs(root: Path, view: dict[str, Any]) -> None:
    """The files a real checkout has: every dependency no stage writes (mlops checks they exist)."""
    written = {o[0] for stage in view["stages"].values() for o in stage["outs"]}
    deps = {dep for stage in view["stages"].values() for dep in stage["deps"]}
    for dep in sorted(deps):
        if (
            dep in written
            or dep.startswith("..")
            or "://" in dep
            or any(dep.startswith(w + "/") for w in written)
        ):
            continue
        path = root / dep
        if any(d.startswith(dep + "/") for d in deps):  # a folder that other deps are inside
            path.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def _adopt(root: Path, skipped: list[str]) -> str:
    """Import every dvc.yaml, drop the hand-written ones, compile. '' when it worked, else the message."""
    from mlops import api

    sources = _dvc_yamls(root)
    try:
        for source in sources:
            name = "main" if source == "dvc.yaml" else posixpath.dirname(source).replace("/", "_")
            skipped.extend(api.import_dvc(source, f"pipelines/{name}.yaml", root=root).skipped)
        for source in sources:
            (root / source).unlink()
        api.compile_pipelines(force=True, root=root)
    except MlopsError as exc:
        return str(exc) + "".join(f"\n{f.render()}" for f in getattr(exc, "findings", []))
    return ""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, str, Any, list[str]]]:
    base = tmp_path_factory.mktemp("corpus")
    originals = {}
    for name in CASES:
        originals[name] = base / "orig" / name
        shutil.copytree(CORPUS / name, originals[name])
        _as_dvc_project(originals[name])
    before = _dvc_views(list(originals.values()))
    adopted: dict[str, Path] = {}
    outcome: dict[str, str] = {}
    skipped: dict[str, list[str]] = {}
    for name, orig in originals.items():
        adopted[name] = base / "adopted" / name
        shutil.copytree(orig, adopted[name])
        if "error" not in before[str(orig)]:
            _touch_inputs(adopted[name], before[str(orig)])
        outcome[name] = _adopt(adopted[name], skipped.setdefault(name, []))
    after = _dvc_views([p for n, p in adopted.items() if not outcome[n]])
    return {
        name: (before[str(orig)], outcome[name], after.get(str(adopted[name])), skipped[name])
        for name, orig in originals.items()
    }


def _plots_from_root(entries: list[Any]) -> list[Any]:
    """Top-level plots as a root dvc.yaml would say them: a sub-folder's paths joined to the folder."""
    out = []
    for folder, entry in entries:

        def join(path: str, folder: str = folder) -> str:
            return posixpath.normpath(posixpath.join(folder, path)) if folder else path

        if isinstance(entry, str):
            out.append(join(entry))
            continue
        moved = {}
        for key, props in entry.items():
            axes = props if isinstance(props, dict) else {}
            if any(isinstance(axes.get(a), dict) for a in ("x", "y")):
                moved[key] = {
                    k: (
                        {join(f): v2 for f, v2 in v.items()} if k in ("x", "y") and isinstance(v, dict) else v
                    )
                    for k, v in props.items()
                }
            else:
                moved[join(key)] = props
        out.append(moved)
    return out


def test_the_corpus_is_large_and_covers_what_dvc_accepts() -> None:
    assert len(CASES) >= 30
    texts = [p.read_text() for name in CASES for p in (CORPUS / name).rglob("dvc.yaml")]
    for needle in (
        "matrix:",
        "foreach:",
        r"^\s+wdir:",
        "vars:",
        "params:",
        "template:",
        "always_changed: true",
        "frozen: true",
        "^metrics:",
        "^plots:",
        "^params:",
        r"\$\{",
    ):
        assert any(re.search(needle, text, re.MULTILINE) for text in texts), needle
    assert any("stages:" not in text for text in texts)  # DVCLive's metrics and plots only
    assert any(
        len(_dvc_yamls(CORPUS / name)) > 1 or _dvc_yamls(CORPUS / name) != ["dvc.yaml"] for name in CASES
    )
    sources = (CORPUS / "SOURCES.md").read_text()
    assert all(f"`{name}`" in sources for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_import_and_compile_give_back_what_dvc_resolves(corpus: dict[str, Any], name: str) -> None:
    before, refused, after, skipped = corpus[name]
    if "error" in before:  # mlops refuses too, or leaves out (with a warning) what DVC refuses
        assert refused or skipped, f"DVC refuses {name} ({before['error']}); mlops imported it silently"
        return
    if name in REFUSED:
        assert REFUSED[name] in refused, refused
        return
    assert not refused, f"mlops refused a file DVC accepts:\n{refused}"
    assert "error" not in after, after.get("error")
    assert list(after["stages"]) == list(before["stages"])  # DVC's own names, in DVC's order
    for stage, expected in before["stages"].items():
        assert after["stages"][stage] == expected, stage
    assert after["metrics"] == before["metrics"]
    assert after["params"] == before["params"]
    assert _plots_from_root(after["plots"]) == _plots_from_root(before["plots"])
