"""Reports computed from the repository: where versions spend their time between stages (stages)."""
