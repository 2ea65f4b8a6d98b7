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
GTO_CLASS = {"register": "Registration", "deregister": "Deregistration", "assign": "Assignment",
             "unassign": "Unassignment", "deprecate": "Deprecation"}


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
        ours.append(Event(kind, "m", tag, target, when, "+0000", "A", "a@x", "msg", version, stage,
                          counter if kind in ("assign", "unassign") else None))
        fields = {"artifact": "m", "created_at": dt.datetime.fromtimestamp(when, dt.timezone.utc), "author": "A",
                  "author_email": "a@x", "message": "msg", "commit_hexsha": target, "tag": tag}
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
