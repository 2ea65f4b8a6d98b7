"""The policy model: defaults, cross-references, durations; and registry.yaml round-trips."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.config.document import read_document
from mlops.errors import ConfigError, InputError, UnknownReference
from mlops.promotion.changes import diff_desired
from mlops.promotion.desired import RegistryFile, parse_desired, read_desired
from mlops.promotion.policy import load_policy, parse_policy
from mlops.timeutil import format_duration, parse_duration, parse_time

EXAMPLES = Path(__file__).parent / "examples" / "promotion" / "good"


def _policy(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "promotion.yaml").write_text(text)
    return load_policy(tmp_path, "promotion.yaml")


def test_sketch_policy_model() -> None:
    doc = read_document(EXAMPLES / "sketch.yaml", expected_kind="Promotion")
    policy, findings = parse_policy(doc)
    assert findings == []
    assert policy.stage_names == ["staging", "canary", "production"]
    production = policy.stage("production")
    assert production.after == "canary" and production.review_required
    assert production.soak == timedelta(hours=48)
    kinds = [g.kind for g in production.gates]
    assert kinds == ["metric", "metric", "monitor"]
    assert production.gates[0].slices == "all" and production.gates[0].tolerance == 0.005
    assert production.gates[2].no_alerts_for == timedelta(hours=24)
    assert policy.stage("staging").after is None


def test_full_policy_defaults_and_overrides() -> None:
    doc = read_document(EXAMPLES / "full.yaml", expected_kind="Promotion")
    policy, findings = parse_policy(doc)
    assert findings == []
    assert policy.protected_branch == "release"
    assert policy.stage("shadow").after is None
    assert policy.stage("canary").after == "shadow"  # default: the previous stage
    latency = policy.stage("production").gates[1]
    assert latency.higher_is_better is False and latency.max == 50
    assert not policy.stage("production").applies_to("nlp/intent:classifier")
    assert policy.stage("canary").gates[0].slices == ("hospital", "clinic")


def test_cross_reference_problems_are_located(tmp_path: Path) -> None:
    text = """\
kind: Promotion
version: 1
artifacts:
  a: {path: a.pkl}
stages:
  first:
    after: nowhere
    soak: 1h
    gates:
      - {metric: auc, min: 0.5}
  second:
    artifacts: [b]
"""
    with pytest.raises(ConfigError) as info:
        _policy(tmp_path, text)
    rendered = [f.render() for f in info.value.findings]
    assert "promotion.yaml:7:12: error: `after: nowhere` names no stage; known: first, second" in rendered
    assert any("`soak` needs a stage to soak in" in r for r in rendered)
    assert any(r.startswith("promotion.yaml:10:") and "names no `metrics:` file" in r for r in rendered)
    assert any(r.startswith("promotion.yaml:12:") and "unknown artifact `b`" in r for r in rendered)


def test_after_loop_is_reported(tmp_path: Path) -> None:
    text = (
        "kind: Promotion\nversion: 1\nartifacts: {a: {path: a}}\nstages:\n  x: {after: y}\n  y: {after: x}\n"
    )
    with pytest.raises(ConfigError, match="loops: x -> y -> x"):
        _policy(tmp_path, text)


def test_missing_policy_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no promotion policy"):
        load_policy(tmp_path, "promotion.yaml")
    policy = load_policy(EXAMPLES, "sketch.yaml")
    with pytest.raises(UnknownReference, match="unknown stage `prod`; did you mean `production`"):
        policy.stage("prod")
    with pytest.raises(UnknownReference, match="did you mean `churn-model`"):
        policy.artifact("churn-modle")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("30m", 1800), ("48h", 172800), ("2.5d", 216000), ("2w", 1209600), (" 1 h ", 3600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_bad_duration_and_formatting() -> None:
    with pytest.raises(InputError):
        parse_duration("two days")
    assert format_duration(timedelta(hours=49, minutes=5)) == "2d 1h"
    assert format_duration(timedelta(minutes=3, seconds=4)) == "3m 4s"
    assert format_duration(timedelta(seconds=-5)) == "0s"
    assert parse_time("2026-11-24T05:00:00Z").isoformat() == "2026-11-24T05:00:00+00:00"
    assert parse_time("yesterday") is None


REGISTRY = """\
# Desired state. Keep this comment.
kind: Registry
version: 1

churn-model:
  staging: v1.4.0     # candidate
  production: "v1.3.0"
other:
  canary: null
"""


def test_registry_round_trip_keeps_comments_order_and_quotes(tmp_path: Path) -> None:
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    f = RegistryFile.open(tmp_path, "registry.yaml")
    order = ["staging", "canary", "production"]
    assert f.set("churn-model", "canary", "v1.4.0", order)
    assert f.set("churn-model", "production", "v1.4.0", order)
    assert not f.set("churn-model", "staging", "v1.4.0", order)
    assert f.set("new-model", "staging", None, order)
    f.save()
    text = (tmp_path / "registry.yaml").read_text()
    assert (
        text
        == REGISTRY.replace('  production: "v1.3.0"', '  canary: v1.4.0\n  production: "v1.4.0"')
        + "new-model:\n  staging: null\n"
    )
    assert read_desired(tmp_path, "registry.yaml")["new-model"] == {"staging": None}
    assert [p.name for p in tmp_path.iterdir()] == ["registry.yaml"]  # no temp file left behind


def test_registry_file_created_with_a_header(tmp_path: Path) -> None:
    f = RegistryFile.open(tmp_path, "registry.yaml")
    f.set("dir/sub:model", "production", "v0.1.0", [])
    f.save()
    text = (tmp_path / "registry.yaml").read_text()
    assert text.startswith("# Desired state")
    assert read_desired(tmp_path, "registry.yaml") == {"dir/sub:model": {"production": "v0.1.0"}}


def test_broken_registry_is_reported_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "registry.yaml").write_text("kind: Registry\nversion: 1\nchurn-model:\n  staging: latest\n")
    with pytest.raises(ConfigError, match=r"registry.yaml:4:3: error: .*a version such as v1.2.0"):
        RegistryFile.open(tmp_path, "registry.yaml")
    assert parse_desired(None, "registry.yaml") == {}


def test_diff_desired_in_stage_order() -> None:
    before = {"a": {"staging": "v1.0.0", "production": "v1.0.0", "canary": "v1.0.0"}}
    after = {"a": {"production": "v2.0.0", "staging": "v2.0.0", "canary": "v1.0.0"}, "b": {"staging": None}}
    changes = diff_desired(before, after, ["staging", "canary", "production"])
    assert [(c.artifact, c.stage, c.before, c.after) for c in changes] == [
        ("a", "staging", "v1.0.0", "v2.0.0"),
        ("a", "production", "v1.0.0", "v2.0.0"),
        ("b", "staging", None, None),
    ]
    removed = diff_desired(after, before, ["staging"])
    assert [(c.artifact, c.removed) for c in removed if c.removed] == [("b", True)]


STAGES = ["staging", "canary", "production"]
_edits = st.lists(
    st.tuples(
        st.sampled_from(["churn-model", "other", "dir/sub:model"]),
        st.sampled_from(STAGES),
        st.one_of(
            st.none(), st.builds("v{}.{}.{}".format, st.integers(0, 20), st.integers(0, 9), st.integers(0, 9))
        ),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_edits)
def test_registry_edits_read_back_and_keep_comments(
    tmp_path: Path, edits: list[tuple[str, str, str | None]]
) -> None:
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    expected = read_desired(tmp_path, "registry.yaml")
    f = RegistryFile.open(tmp_path, "registry.yaml")
    for artifact, stage, version in edits:
        f.set(artifact, stage, version, STAGES)
        expected.setdefault(artifact, {})[stage] = version
    f.save()
    actual = read_desired(tmp_path, "registry.yaml")
    assert actual == expected
    text = (tmp_path / "registry.yaml").read_text()
    assert text.startswith("# Desired state. Keep this comment.\nkind: Registry\nversion: 1\n")
    for artifact, stages in actual.items():  # stage keys stay in policy order when mlops added them
        added = [s for s in stages if artifact not in ("churn-model", "other")]
        assert added == [s for s in STAGES if s in added]


def test_comments_introducing_a_key_stay_with_it(tmp_path: Path) -> None:
    text = (
        "kind: Registry\nversion: 1\na:\n  staging: v1.0.0   # eol\n  # before prod\n  production: v2.0.0\n"
        "b:\n  staging: v1.0.0\n\n  # after a blank\n  production: v2.0.0\n"
    )
    (tmp_path / "registry.yaml").write_text(text)
    f = RegistryFile.open(tmp_path, "registry.yaml")
    f.set("a", "canary", "v3.0.0", STAGES)
    f.set("b", "canary", "v3.0.0", STAGES)
    assert f.text() == text.replace("# eol\n", "# eol\n  canary: v3.0.0\n").replace(
        "b:\n  staging: v1.0.0\n", "b:\n  staging: v1.0.0\n  canary: v3.0.0\n"
    )
