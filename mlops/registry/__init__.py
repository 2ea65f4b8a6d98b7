"""The model registry on Git tags: grammar (tags), events, the fold (state), reading and writing.

Reading is one `git for-each-ref`; writing is one annotated tag per event (mlops.registry.write).
"""

from __future__ import annotations

from mlops.registry.events import Event
from mlops.registry.read import fetch_tags, read_state
from mlops.registry.state import ArtifactState, RegistryState, Version

__all__ = ["ArtifactState", "Event", "RegistryState", "Version", "fetch_tags", "read_state"]
