"""From a registry reference to the bytes that run: locate an artifact at a commit, stream it from the
DVC cache or remote (no checkout), explain a registry tag, and the training environment of each version."""
