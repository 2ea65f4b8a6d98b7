"""How a generated project's CI installs mlops: the pip requirement recorded by `mlops init`.

The command and the import are `mlops`, but the distribution is `git-mlops` (`mlops` on the package index is
an unrelated project). The workflows must install the mlops that generated them, so `mlops init` writes one
requirement into them, chosen in this order:
1. `mlops init --install-spec SPEC`, else the environment variable MLOPS_INSTALL_SPEC;
2. where this mlops came from, when pip recorded a URL CI can reach (PEP 610 `direct_url.json`): a Git URL
   pinned to its commit, or an archive URL;
3. `git-mlops==VERSION`, this exact version from the package index. `mlops init` says so, because a version
   that is not on the index the CI uses will not install there: pass --install-spec then.
"""

from __future__ import annotations

import os
import re
from typing import Any

from mlops import __version__
from mlops.errors import UsageError

DISTRIBUTION = "git-mlops"
ENV_VAR = "MLOPS_INSTALL_SPEC"
PLACEHOLDER = b"{{install}}"
# A requirement or URL, nothing a shell or YAML would read as more than one word: it lands in `run:` lines.
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._\-\[\],=<>!~@:/+#%]*$")


def install_spec(given: str | None = None) -> tuple[str, str]:
    """(requirement, where it came from: option | environment | source | version)."""
    for spec, origin in ((given, "option"), (os.environ.get(ENV_VAR), "environment")):
        if spec is not None and spec.strip():
            return check(spec.strip(), origin), origin
    found = _from_direct_url()
    if found:
        return found, "source"
    return f"{DISTRIBUTION}=={__version__}", "version"


def check(spec: str, origin: str = "option") -> str:
    where = "--install-spec" if origin == "option" else ENV_VAR
    if len(spec) > 500 or not _SAFE.match(spec):
        raise UsageError(
            f"{where}: `{spec}` is not a pip requirement (letters, digits and . _ - [ ] , = < > ! ~ "
            "@ : / + # % and spaces only)",
            hint=f"for example `{DISTRIBUTION} @ git+https://github.com/ORG/mlops@v{__version__}`",
        )
    return spec


def _from_direct_url() -> str | None:
    """A Git or archive URL pip recorded when it installed this distribution; None for a local folder or
    file (CI cannot reach this machine's paths) or an index install (the version says it all)."""
    from importlib import metadata

    from mlops.config.yamlload import parse_or_none

    try:
        raw = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    data = parse_or_none(raw.encode()) if raw else None
    if not isinstance(data, dict):
        return None
    url = str(data.get("url") or "")
    if not url.startswith(("https://", "http://", "ssh://", "git@")):
        return None
    spec = _remote_spec(data, url)
    return spec if spec and _SAFE.match(spec) else None


def _remote_spec(data: dict[str, Any], url: str) -> str | None:
    """A Git URL at the installed commit, or an archive URL; None for any other kind of install."""
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"{DISTRIBUTION} @ git+{url}@{vcs['commit_id']}"
    if "archive_info" in data:
        return f"{DISTRIBUTION} @ {url}"
    return None
