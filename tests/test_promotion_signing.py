"""`signing: required`: sync signs with Git's own tag signing (SSH keys made here by ssh-keygen), verify checks
each stage tag against the allowed-signers file committed on the protected branch."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, write
from tests.helpers.promotion import make_repo, pull_request, registry, tags
from tests.test_promotion_attacks import POLICY, REGISTRY, mlops

SIGNED = POLICY.replace("protected_branch: main\n", "protected_branch: main\nsigning: required\n")


def keypair(folder: Path, name: str) -> tuple[Path, str]:
    """(private key path, public key line) of a fresh ed25519 key. ssh-keygen is required: CI installs
    openssh-client, and a missing tool fails this test rather than skipping it."""
    assert shutil.which("ssh-keygen"), "ssh-keygen is missing: apt-get install -y openssh-client"
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key, (folder / f"{name}.pub").read_text().strip()


@pytest.fixture
def signed_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    key, public = keypair(tmp_path, "release")
    root = tmp_path / "work"
    make_repo(root, policy=SIGNED, registry=REGISTRY)
    write(root, ".mlops/allowed_signers", f'committer@example.com namespaces="git" {public}\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "who may sign stage tags")
    git(root, "config", "gpg.format", "ssh")
    git(root, "config", "user.signingkey", str(key))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main", "--tags")
    monkeypatch.chdir(root)
    return root, tmp_path, public


@pytest.mark.slow
def test_sync_signs_and_verify_checks_the_signature(signed_repo: tuple[Path, Path, str]) -> None:
    root, tmp, _ = signed_repo
    pull_request(root, "pr-51", {"registry.yaml": registry(staging="v2.0.0", production="v2.0.0")}, 51)
    code, out, err = mlops("sync", "--push")
    assert code == 0 and "churn-model#production#7" in out, out + err
    raw = git(root, "cat-file", "tag", "churn-model#production#7")
    assert "-----BEGIN SSH SIGNATURE-----" in raw
    code, out, _ = mlops("verify", "--since", "churn-model#production#4")
    assert code == 0, out
    assert "1 assignment tag(s) of review-required stages checked: 1 ok, 0 not verified" in out

    # a tag signed by a key that is not in the allowed-signers file, with the legit message copied: refused
    other, _ = keypair(tmp, "intruder")
    message = git(
        root, "tag", "-l", "--format=%(contents:subject)%0a%0a%(contents:body)", "churn-model#production#7"
    )
    write(tmp, "copied.txt", message)
    git(
        root,
        "-c",
        f"user.signingkey={other}",
        "tag",
        "-s",
        "-F",
        str(tmp / "copied.txt"),
        "churn-model#production#8",
        "churn-model@v2.0.0^{commit}",
    )
    # and an unsigned one
    git(root, "tag", "-a", "-m", "by hand", "churn-model#production#9", "churn-model@v1.0.0^{commit}")
    code, out, _ = mlops("verify", "--since", "churn-model#production#4", "--json")
    assert code == 1
    import json

    report = {t["tag"]: t["problems"] for t in json.loads(out)["tags"]}
    assert report["churn-model#production#7"] == []
    assert any(
        p.startswith("signature not verified against .mlops/allowed_signers")
        for p in report["churn-model#production#8"]
    ), report
    assert "is not signed (signing: required)" in report["churn-model#production#9"]


@pytest.mark.slow
def test_sync_without_a_signing_key_refuses_to_write_an_unsigned_tag(
    signed_repo: tuple[Path, Path, str],
) -> None:
    root, _, _ = signed_repo
    git(root, "config", "user.signingkey", str(root.parent / "no-such-key"))
    before = tags(root)
    pull_request(root, "pr-52", {"registry.yaml": registry(staging="v2.0.0", production="v2.0.0")}, 52)
    code, _, err = mlops("sync")
    assert code == 2 and "signing tag churn-model#production#7 failed" in err
    assert "configure Git's tag signing" in err
    assert tags(root) == before


def test_verify_without_the_allowed_signers_file_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "r"
    make_repo(
        root,
        policy=SIGNED.replace("signing: required\n", "signing: required\nallowed_signers: keys/ok\n"),
        registry=REGISTRY,
    )
    monkeypatch.chdir(root)
    code, out, _ = mlops("verify")
    assert code == 1
    assert "churn-model#production#4: records no merge commit" in out
    assert "signing is required but keys/ok is not on main" in out
