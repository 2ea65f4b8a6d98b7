"""Property test: mlops' fold and GTO's own fold (its Python classes, no git) agree on random histories."""

from __future__ import annotations

import datetime as dt

import gto.base as gto_base  # a dev dependency: missing, this test fails rather than skips
import gto.constants as gto_constants
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.registry.events import Event
from mlops.registry.state import fold

VERSIONS = ["v0.1.0", "v0.2.0", "v1.0.0"]
STAGES = ["staging", "prod"]
OPS = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from(VERSIONS), st.sampled_from(STAGES)),
    st.tuples(st.just("unassign"), st.sampled_from(VERSIONS), st.sampled_from(STAGES)),
    st.tuples(st.just("deregister"), st.sampled_from(VERSIONS), st.none()),
    st.tuples(st.just("deprecate"), st.none(), st.none()),
)
GTO_CLASS = {
    "register": "Registration",
    "deregister": "Deregistration",
    "assign": "Assignment",
    "unassign": "Unassignment",
    "deprecate": "Deprecation",
}


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=25))
def test_same_answers_as_gto_fold(ops: list[tuple[str, str | None, str | None]]) -> None:
    commit = {v: f"{i + 1:040x}" for i, v in enumerate(VERSIONS)}
    history = [("register", v, None) for v in VERSIONS] + ops
    ours: list[Event] = []
    theirs = gto_base.Artifact(artifact="m", versions=[])
    counter = 0
    for t, (kind, version, stage) in enumerate(history):
        when = 1_700_000_000 + 10 * t
        counter += 1
        tag = f"m-{kind}-{counter}"
        target = commit[version] if version else commit[VERSIONS[0]]
        ours.append(
            Event(
                kind,
                "m",
                tag,
                target,
                when,
                "+0000",
                "A",
                "a@x",
                "msg",
                version,
                stage,
                counter if kind in ("assign", "unassign") else None,
            )
        )
        fields = {
            "artifact": "m",
            "created_at": dt.datetime.fromtimestamp(when, dt.timezone.utc),
            "author": "A",
            "author_email": "a@x",
            "message": "msg",
            "commit_hexsha": target,
            "tag": tag,
        }
        if version:
            fields["version"] = version
        if stage:
            fields["stage"] = stage
        theirs.add_event(getattr(gto_base, GTO_CLASS[kind])(**fields))
    art = fold(ours).artifacts["m"]
    latest = theirs.get_latest_version(registered_only=True)
    assert (art.latest.version if art.latest else None) == (latest.version if latest else None)
    assert art.deprecated == (not theirs.is_active)
    stages = theirs.get_vstages(sort=gto_constants.VersionSort.Timestamp, versions_per_stage=-1)
    for stage in STAGES:
        expected = [s.version for s in stages.get(stage, [])]
        assert [v.version for v in art.stage_versions(stage)] == expected, (stage, ops)


UNTAGGED = f"{99:040x}"  # a commit no version tag names
RARE = st.one_of(
    OPS,
    st.tuples(st.just("reregister"), st.sampled_from(VERSIONS), st.sampled_from(["same", "other"])),
    st.tuples(st.just("assign-commit"), st.none(), st.sampled_from(STAGES)),
)  # no unassignment of an untagged commit: GTO never takes one out of a stage (docs/explanation/gto.md)


@settings(max_examples=300, deadline=None)
@given(st.lists(RARE, max_size=25))
def test_same_answers_as_gto_fold_for_rare_hand_made_histories(
    ops: list[tuple[str, str | None, str | None]],
) -> None:
    """Versions registered again by hand (on their commit or another) and stages held by an untagged commit."""
    commit = {v: f"{i + 1:040x}" for i, v in enumerate(VERSIONS)}
    other = {v: f"{i + 50:040x}" for i, v in enumerate(VERSIONS)}
    history = [("register", v, "same") for v in VERSIONS] + ops
    ours: list[Event] = []
    theirs = gto_base.Artifact(artifact="m", versions=[])
    for t, (kind, version, extra) in enumerate(history):
        when = 1_700_000_000 + 10 * t
        counter = t + 1
        stage = extra if kind in ("assign", "unassign", "assign-commit", "unassign-commit") else None
        if kind in ("reregister", "register"):
            target = commit[version] if extra == "same" else other[version]  # type: ignore[index]
            kind = "register"
        elif kind.endswith("-commit"):
            target, version, kind = UNTAGGED, None, kind.removesuffix("-commit")
        else:
            target = commit[version] if version else commit[VERSIONS[0]]
        tag = f"m-{kind}-{counter}"
        ours.append(
            Event(
                kind,
                "m",
                tag,
                target,
                when,
                "+0000",
                "A",
                "a@x",
                "msg",
                version,
                stage,
                counter if kind in ("assign", "unassign") else None,
            )
        )
        fields = {
            "artifact": "m",
            "created_at": dt.datetime.fromtimestamp(when, dt.timezone.utc),
            "author": "A",
            "author_email": "a@x",
            "message": "msg",
            "commit_hexsha": target,
            "tag": tag,
            "version": version or target,
        }
        if stage:
            fields["stage"] = stage
        theirs.add_event(getattr(gto_base, GTO_CLASS[kind])(**fields))
    art = fold(ours).artifacts["m"]
    latest = theirs.get_latest_version(registered_only=True)
    assert (art.latest.version if art.latest else None) == (latest.version if latest else None), ops
    stages = theirs.get_vstages(sort=gto_constants.VersionSort.Timestamp, versions_per_stage=-1)
    for stage in STAGES:
        expected = [(s.version, s.commit_hexsha) for s in stages.get(stage, [])]
        assert [(v.version, v.commit) for v in art.stage_versions(stage)] == expected, (stage, ops)


def test_unassigning_an_untagged_commit_empties_the_stage_where_gto_keeps_it() -> None:
    """A departure from GTO (docs/explanation/gto.md): GTO makes one version per tag on an untagged commit,
    so its unassignment never takes the commit out of the stage; mlops does, as for any version."""
    events = [
        Event(
            "assign", "m", "m#prod#1", UNTAGGED, 1_700_000_000, "+0000", "A", "a@x", "msg", None, "prod", 1
        ),
        Event(
            "unassign", "m", "m#prod!#2", UNTAGGED, 1_700_000_010, "+0000", "A", "a@x", "msg", None, "prod", 2
        ),
    ]
    art = fold(events).artifacts["m"]
    assert art.stage_versions("prod") == [] and art.which("prod") is None
