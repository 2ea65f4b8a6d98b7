"""The tag grammar: every form round-trips, names are property-tested, near misses are rejected."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.registry.tags import (
    ASSIGN,
    DEPRECATE,
    DEREGISTER,
    REGISTER,
    UNASSIGN,
    TagName,
    TagNameError,
    bump,
    format_tag,
    looks_like_registry_tag,
    parse_tag,
    semver_key,
)

FORMS = [
    ("churn-model@v1.2.0", TagName(REGISTER, "churn-model", version="v1.2.0")),
    ("churn-model@v1.2.0#7", TagName(REGISTER, "churn-model", version="v1.2.0", counter=7)),
    ("churn-model@v1.2.0!", TagName(DEREGISTER, "churn-model", version="v1.2.0")),
    ("churn-model@v1.2.0!#8", TagName(DEREGISTER, "churn-model", version="v1.2.0", counter=8)),
    ("churn-model#production#3", TagName(ASSIGN, "churn-model", stage="production", counter=3)),
    ("churn-model#production", TagName(ASSIGN, "churn-model", stage="production")),
    ("churn-model#production!#4", TagName(UNASSIGN, "churn-model", stage="production", counter=4)),
    ("churn-model#production!", TagName(UNASSIGN, "churn-model", stage="production")),
    ("churn-model@deprecated", TagName(DEPRECATE, "churn-model")),
    ("churn-model@deprecated#9", TagName(DEPRECATE, "churn-model", counter=9)),
    ("models/churn=churn-model@v0.1.0", TagName(REGISTER, "models/churn:churn-model", version="v0.1.0")),
    ("a/b.c=m#staging#12", TagName(ASSIGN, "a/b.c:m", stage="staging", counter=12)),
    ("m@v1.0.0-rc.1+build.5", TagName(REGISTER, "m", version="v1.0.0-rc.1+build.5")),
    ("M_1@v10.20.30", TagName(REGISTER, "M_1", version="v10.20.30")),
]


@pytest.mark.parametrize(("tag", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_every_form_round_trips(tag: str, expected: TagName) -> None:
    parsed = parse_tag(tag)
    assert parsed == expected
    assert str(parsed) == tag
    assert (
        format_tag(
            parsed.kind, parsed.artifact, version=parsed.version, stage=parsed.stage, counter=parsed.counter
        )
        == tag
    )


@pytest.mark.parametrize(
    "tag",
    [
        "x@created",
        "m@1.2.0",
        "m@v1.2",
        "m@v01.2.0",
        "m#",
        "m#prod#",
        "m#prod#x",
        "@v1.0.0",
        "-m@v1.0.0",
        "m-@v1.0.0",
        "m@v1.0.0!!",
        "m#prod!!#1",
        "m@latest",
        "m@v1.0.0#",
        "m@deprecated!",
        "a:b@v1.0.0",
        "m@v1.0.0-",
        "m##prod#1",
    ],
)
def test_near_misses_are_rejected(tag: str) -> None:
    assert looks_like_registry_tag(tag)
    with pytest.raises(TagNameError):
        parse_tag(tag)


def test_plain_release_tags_are_not_registry_tags() -> None:
    assert not looks_like_registry_tag("v1.0.0")
    assert not looks_like_registry_tag("release-2026")


def test_format_refuses_bad_names() -> None:
    with pytest.raises(TagNameError):
        format_tag(REGISTER, "bad name", version="v1.0.0")
    with pytest.raises(TagNameError):
        format_tag(ASSIGN, "m", stage="Prod!")
    with pytest.raises(TagNameError):
        format_tag(REGISTER, "m", version="1.0.0")


NAME = st.from_regex(r"\A[a-zA-Z0-9]([a-zA-Z0-9_/-]{0,20}[a-zA-Z0-9])?\Z")
# GTO's folder grammar, minus a leading `-` (it would read as an option) and `..` (Git refuses it in a ref)
DIR = st.from_regex(r"\A[a-zA-Z0-9_./-]{1,15}\Z").filter(lambda d: not d.startswith("-") and ".." not in d)
VERSION = st.builds(lambda a, b, c: f"v{a}.{b}.{c}", *(st.integers(0, 999),) * 3)


@settings(suppress_health_check=[HealthCheck.too_slow])  # generation is slow on a loaded machine, not wrong
@given(
    dirname=st.none() | DIR, name=NAME, version=VERSION, stage=NAME, counter=st.none() | st.integers(1, 10**6)
)
def test_names_round_trip_through_every_kind(
    dirname: str | None, name: str, version: str, stage: str, counter: int | None
) -> None:
    artifact = f"{dirname}:{name}" if dirname else name
    for kind in (REGISTER, DEREGISTER, ASSIGN, UNASSIGN, DEPRECATE):
        tag = format_tag(kind, artifact, version=version, stage=stage, counter=counter)
        parsed = parse_tag(tag)
        assert parsed.kind == kind
        assert parsed.artifact == artifact
        assert parsed.counter == counter
        assert parsed.version == (version if kind in (REGISTER, DEREGISTER) else None)
        assert parsed.stage == (stage if kind in (ASSIGN, UNASSIGN) else None)


@given(st.text(max_size=30))
def test_parser_never_crashes(text: str) -> None:
    try:
        parsed = parse_tag(text)
    except TagNameError:
        return
    assert str(parsed) == text


def test_semver_order_and_bump() -> None:
    versions = ["v1.0.0", "v1.0.0-rc.1", "v1.0.0-alpha", "v0.9.10", "v0.10.0", "v1.0.0-alpha.2"]
    assert sorted(versions, key=semver_key) == [
        "v0.9.10",
        "v0.10.0",
        "v1.0.0-alpha",
        "v1.0.0-alpha.2",
        "v1.0.0-rc.1",
        "v1.0.0",
    ]
    assert bump(None, "patch") == "v0.1.0"
    assert bump(None, "major") == "v1.0.0"
    assert bump("v1.2.3", "patch") == "v1.2.4"
    assert bump("v1.2.3", "minor") == "v1.3.0"
    assert bump("v1.2.3", "major") == "v2.0.0"
