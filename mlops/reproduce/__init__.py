"""Reproduce any version: check it out with its data, rebuild it and compare hashes, diff two versions.

Modules: `snapshot` (files of a commit, read in one git call), `lock` (dvc.lock and .dvc files as data),
`dvcrepo` (the DVC library and CLI, imported lazily), `worktree` (git worktrees sharing the DVC cache),
`checkout`, `rebuild`, `diff` (the operations) and `render` (text and Markdown reports).
"""
