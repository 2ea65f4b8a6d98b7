"""MLOPS_NOW: the clock time-based gates read (a 48h soak checked now, not in two days), set by the user."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlops.timeutil import BadValue, utcnow
from tests.conftest import invoke
from tests.helpers.promotion import hours, make_repo, tag


def test_utcnow_reads_mlops_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_NOW", "2030-01-02T03:04:05Z")
    assert utcnow() == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    monkeypatch.setenv("MLOPS_NOW", "2030-01-02T05:04:05+02:00")  # an offset is converted to UTC
    assert utcnow() == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    monkeypatch.setenv("MLOPS_NOW", "  ")  # blank: the real clock
    assert abs(utcnow() - datetime.now(timezone.utc)) < timedelta(minutes=1)
    monkeypatch.setenv("MLOPS_NOW", "tomorrow")
    with pytest.raises(BadValue, match="MLOPS_NOW=`tomorrow` is not an ISO-8601 time"):
        utcnow()


@pytest.fixture
def canary_for_10h(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "r"
    make_repo(root)
    tag(root, "churn-model#canary#7", "churn-model@v2.0.0", ago=hours(10))
    monkeypatch.chdir(root)
    return root


def test_the_soak_is_judged_at_mlops_now(canary_for_10h: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = invoke("promote", "churn-model@v2.0.0", "--to", "production")
    assert code == 1, out + err
    assert "FAIL  soak 48h in canary: churn-model v2.0.0 has been in canary for 10h" in out
    later = datetime.now(timezone.utc) + timedelta(hours=39)
    monkeypatch.setenv("MLOPS_NOW", later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    code, out, err = invoke("promote", "churn-model@v2.0.0", "--to", "production")
    assert code == 0, out + err
    assert "pass  soak 48h in canary: 2d 1h in canary since" in out
    assert "Wrote registry.yaml: churn-model.production = v2.0.0" in out


def test_an_unreadable_mlops_now_is_exit_2(canary_for_10h: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_NOW", "next tuesday")
    code, out, err = invoke("promote", "churn-model@v2.0.0", "--to", "production")
    assert code == 2, out + err
    assert "MLOPS_NOW=`next tuesday` is not an ISO-8601 time such as 2026-11-24T05:00:00Z" in err
